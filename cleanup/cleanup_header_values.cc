// cleanup_header_values - Date:, Message-ID: and From: values
#include "cleanup/cleanup_header_values.h"

#include <cstdio>
#include <cstdlib>

namespace posthorn::cleanup {
namespace {

constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

bool isAtext(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(static_cast<char>(c)) !=
         std::string_view::npos;
}

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// RFC 2047 encoded words of at most 45 input bytes each, never splitting
// a UTF-8 sequence.
std::string encodedWords(std::string_view text) {
  std::string out;
  while (!text.empty()) {
    std::size_t n = std::min<std::size_t>(45, text.size());
    while (n < text.size() && n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
    if (n == 0) n = std::min<std::size_t>(45, text.size());
    if (!out.empty()) out += ' ';
    out += "=?UTF-8?B?" + base64(text.substr(0, n)) + "?=";
    text.remove_prefix(n);
  }
  return out;
}

std::string phrase(std::string_view name) {
  std::string clean;
  bool ascii = true, atoms = true;
  for (char ch : name) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) ch = ' ';  // no control characters in a header
    if (c >= 0x80) ascii = false;
    if (!isAtext(static_cast<unsigned char>(ch)) && ch != ' ') atoms = false;
    clean += ch;
  }
  const auto first = clean.find_first_not_of(' ');
  if (first == std::string::npos) return "";
  clean = clean.substr(first, clean.find_last_not_of(' ') - first + 1);
  if (!ascii) return encodedWords(clean);
  if (atoms) return clean;
  std::string quoted = "\"";
  for (char ch : clean) {
    if (ch == '"' || ch == '\\') quoted += '\\';
    quoted += ch;
  }
  return quoted + "\"";
}

}  // namespace

std::string rfc5322Date(std::time_t when) {
  std::tm tm{};
  localtime_r(&when, &tm);
  long offset = tm.tm_gmtoff / 60;
  const char sign = offset < 0 ? '-' : '+';
  offset = std::labs(offset);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%s, %d %s %d %02d:%02d:%02d %c%02ld%02ld", kDays[tm.tm_wday % 7],
                tm.tm_mday, kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec, sign, offset / 60, offset % 60);
  std::string out(buf);
  // The zone's abbreviation as a comment, when it is a plain word ("CET",
  // "UTC"; not "+03", which some zones use).
  if (tm.tm_zone != nullptr && tm.tm_zone[0] != '\0') {
    std::string_view zone(tm.tm_zone);
    bool word = zone.size() <= 8;
    for (char c : zone)
      if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) word = false;
    if (word) out += " (" + std::string(zone) + ")";
  }
  return out;
}

std::string messageIdValue(std::string_view queueId, std::time_t when, std::string_view myhostname) {
  std::tm tm{};
  gmtime_r(&when, &tm);
  char stamp[32];
  std::snprintf(stamp, sizeof stamp, "%04d%02d%02d%02d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return "<" + std::string(stamp) + "." + std::string(queueId) + "@" + std::string(myhostname) +
         ">";
}

std::string fromValue(std::string_view sender, std::string_view fullName,
                      std::string_view myhostname) {
  std::string address =
      sender.empty() ? "MAILER-DAEMON@" + std::string(myhostname) : std::string(sender);
  for (char& c : address)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  const std::string name = phrase(fullName);
  if (name.empty()) return address;
  return name + " <" + address + ">";
}

}  // namespace posthorn::cleanup
