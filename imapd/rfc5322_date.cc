// rfc5322_date - the Date: header (RFC 5322 date-time, obsolete forms) as time_t
#include "imapd/rfc5322_date.h"

#include <string>
#include <vector>

#include "imapd/header_fields.h"

namespace posthorn::imapd {

namespace {

// Splits into tokens: digit runs, letter runs, and single ':' '+' '-' ','
// characters; comments and white space separate and are dropped.
std::vector<std::string_view> tokenize(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  int depth = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '(') { ++depth; ++i; continue; }
    if (c == ')') { if (depth > 0) --depth; ++i; continue; }
    if (depth > 0) { if (c == '\\') ++i; ++i; continue; }
    const auto isDigit = [](char x) { return x >= '0' && x <= '9'; };
    const auto isAlpha = [](char x) { return (x >= 'a' && x <= 'z') || (x >= 'A' && x <= 'Z'); };
    std::size_t j = i;
    if (isDigit(c)) {
      while (j < s.size() && isDigit(s[j])) ++j;
    } else if (isAlpha(c)) {
      while (j < s.size() && isAlpha(s[j])) ++j;
    } else if (c == ':' || c == '+' || c == '-' || c == ',') {
      j = i + 1;
    } else {
      ++i;  // white space, dots and anything else
      continue;
    }
    out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

bool number(std::string_view t, long long& v) {
  if (t.empty() || t.size() > 9 || t[0] < '0' || t[0] > '9') return false;
  v = 0;
  for (char c : t) v = v * 10 + (c - '0');
  return true;
}

int monthOf(std::string_view t) {
  static constexpr std::string_view kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                                 "jul", "aug", "sep", "oct", "nov", "dec"};
  if (t.size() < 3) return 0;
  for (int m = 0; m < 12; ++m)
    if (headerNameEquals(t.substr(0, 3), kMonths[m])) return m + 1;
  return 0;
}

bool namedZone(std::string_view t, long long& minutes) {
  struct Zone { std::string_view name; int hours; };
  static constexpr Zone kZones[] = {{"UT", 0},   {"UTC", 0},  {"GMT", 0},  {"Z", 0},    {"EST", -5}, {"EDT", -4},
                                    {"CST", -6}, {"CDT", -5}, {"MST", -7}, {"MDT", -6}, {"PST", -8}, {"PDT", -7}};
  for (const Zone& z : kZones)
    if (headerNameEquals(t, z.name)) {
      minutes = z.hours * 60;
      return true;
    }
  minutes = 0;  // military and unknown zones: RFC 5322 says treat as -0000
  return true;
}

bool isLetters(std::string_view t) { return !t.empty() && ((t[0] | 0x20) >= 'a' && (t[0] | 0x20) <= 'z'); }

}  // namespace

long long daysFromCivil(long long y, unsigned m, unsigned d) {
  y -= m <= 2;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long long>(doe) - 719468;
}

std::optional<std::time_t> parseRfc5322Date(std::string_view text) {
  const std::vector<std::string_view> t = tokenize(text);
  std::size_t i = 0;
  // Optional day name and comma.
  if (i < t.size() && isLetters(t[i]) && monthOf(t[i]) == 0) ++i;
  if (i < t.size() && t[i] == ",") ++i;
  long long day = 0, year = 0, hour = 0, minute = 0, second = 0;
  if (i >= t.size() || !number(t[i], day)) return std::nullopt;
  ++i;
  if (i < t.size() && t[i] == "-") ++i;  // "7-Feb-1994"
  if (i >= t.size()) return std::nullopt;
  const int month = monthOf(t[i]);
  if (month == 0) return std::nullopt;
  ++i;
  if (i < t.size() && t[i] == "-") ++i;
  if (i >= t.size() || !number(t[i], year)) return std::nullopt;
  const std::size_t yearDigits = t[i].size();
  ++i;
  if (yearDigits <= 2) year += year < 50 ? 2000 : 1900;
  else if (yearDigits == 3) year += 1900;
  if (i + 2 >= t.size() || !number(t[i], hour) || t[i + 1] != ":" || !number(t[i + 2], minute)) return std::nullopt;
  i += 3;
  if (i + 1 < t.size() && t[i] == ":" && number(t[i + 1], second)) i += 2;
  long long zoneMinutes = 0;
  if (i < t.size()) {
    if ((t[i] == "+" || t[i] == "-") && i + 1 < t.size()) {
      long long hhmm = 0;
      if (!number(t[i + 1], hhmm) || t[i + 1].size() != 4 || hhmm % 100 > 59) return std::nullopt;
      zoneMinutes = (hhmm / 100) * 60 + hhmm % 100;
      if (t[i] == "-") zoneMinutes = -zoneMinutes;
    } else if (isLetters(t[i])) {
      namedZone(t[i], zoneMinutes);
    }
  }
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (day < 1 || day > kDays[month - 1] || hour > 23 || minute > 59 || second > 60 || year > 9999)
    return std::nullopt;
  const long long days = daysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const long long secs = days * 86400 + hour * 3600 + minute * 60 + second - zoneMinutes * 60;
  return static_cast<std::time_t>(secs);
}

}  // namespace posthorn::imapd
