// esmtp_params - parsing MAIL and RCPT parameters, xtext
#include "smtpd/esmtp_params.h"

#include <cctype>
#include <set>

#include "lib/util/ascii.h"


namespace posthorn::smtpd {

namespace {

Reply syntax(const std::string& what) { return Reply(501, "5.5.4", "Bad " + what + " syntax"); }

Reply unsupported(const EsmtpParam& p) {
  return Reply(555, "5.5.4", "Unsupported option: " + p.keyword + (p.value ? "=" + *p.value : ""));
}

// RFC 3461 4.4: ENVID is at most 100 characters of xtext.
constexpr std::size_t kMaxEnvid = 100;
// RFC 3461 4.2: ORCPT's address is at most 500 characters.
constexpr std::size_t kMaxOrcpt = 500;

// Well-formed UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
bool validUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    int n = 0;
    unsigned int cp = c;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      n = 1;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    for (int k = 1; k <= n; ++k) {
      if (i + k >= text.size()) return false;
      const unsigned char cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    i += static_cast<std::size_t>(n) + 1;
  }
  return true;
}

}  // namespace

std::optional<std::vector<EsmtpParam>> splitParams(std::string_view text) {
  std::vector<EsmtpParam> params;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    if (i >= text.size()) break;
    std::size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
    std::string_view word = text.substr(start, i - start);
    EsmtpParam p;
    std::size_t eq = word.find('=');
    std::string_view key = word.substr(0, eq);
    if (key.empty()) return std::nullopt;
    for (char c : key) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return std::nullopt;
    }
    p.keyword = util::upper(key);
    if (eq != std::string_view::npos) p.value = std::string(word.substr(eq + 1));
    params.push_back(std::move(p));
  }
  return params;
}

std::optional<std::string> xtextDecode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '+') {
      if (i + 2 >= text.size()) return std::nullopt;
      auto hex = [](char h) -> int {
        if (h >= '0' && h <= '9') return h - '0';
        if (h >= 'A' && h <= 'F') return h - 'A' + 10;
        if (h >= 'a' && h <= 'f') return h - 'a' + 10;  // tolerated
        return -1;
      };
      const int hi = hex(text[i + 1]), lo = hex(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
      continue;
    }
    if (c < 33 || c > 126 || c == '=') return std::nullopt;
    out += static_cast<char>(c);
  }
  return out;
}

std::string xtextEncode(std::string_view text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (c < 33 || c > 126 || c == '+' || c == '=') {
      out += '+';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::variant<MailParams, Reply> parseMailParams(std::string_view text, const Offered& offered) {
  MailParams mp;
  auto params = splitParams(text);
  if (!params) return Reply(501, "5.5.4", "Bad MAIL parameter syntax");
  std::set<std::string> seen;
  for (const EsmtpParam& p : *params) {
    if (!seen.insert(p.keyword).second)
      return Reply(501, "5.5.4", "Duplicate " + p.keyword + " parameter");
    if (p.keyword == "SIZE") {
      if (!p.value || p.value->empty() || p.value->size() > 19) return syntax("SIZE");
      for (char c : *p.value)
        if (!std::isdigit(static_cast<unsigned char>(c))) return syntax("SIZE");
      mp.size = std::stoull(*p.value);
      if (offered.sizeLimit != 0 && *mp.size > offered.sizeLimit)
        return Reply(552, "5.3.4", "Message size exceeds fixed limit");
    } else if (p.keyword == "BODY") {
      if (!p.value) return syntax("BODY");
      const std::string v = util::upper(*p.value);
      if (v == "7BIT") mp.body = queue::BodyType::SevenBit;
      else if (v == "8BITMIME" && offered.eightBitMime) mp.body = queue::BodyType::EightBitMime;
      else if (v == "BINARYMIME" && offered.chunking && offered.binaryMime) mp.body = queue::BodyType::BinaryMime;
      else return Reply(501, "5.5.4", "Unsupported BODY parameter value " + *p.value);
    } else if (p.keyword == "SMTPUTF8" && offered.smtputf8) {
      if (p.value) return syntax("SMTPUTF8");
      mp.smtputf8 = true;
    } else if (p.keyword == "RET" && offered.dsn) {
      if (!p.value) return syntax("RET");
      const std::string v = util::upper(*p.value);
      if (v == "FULL") mp.ret = queue::Ret::Full;
      else if (v == "HDRS") mp.ret = queue::Ret::Headers;
      else return syntax("RET");
    } else if (p.keyword == "ENVID" && offered.dsn) {
      if (!p.value || p.value->empty() || p.value->size() > kMaxEnvid) return syntax("ENVID");
      auto decoded = xtextDecode(*p.value);
      if (!decoded) return syntax("ENVID");
      mp.envid = *decoded;
    } else if (p.keyword == "AUTH") {
      // RFC 4954 5: without a trusted authenticated client the value is
      // recorded as <>, whatever was sent; only its syntax is checked.
      if (!p.value || p.value->empty()) return syntax("AUTH");
      if (*p.value != "<>" && !xtextDecode(*p.value)) return syntax("AUTH");
      mp.auth = "<>";
      mp.authGiven = *p.value == "<>" ? std::string("<>") : *xtextDecode(*p.value);
    } else {
      return unsupported(p);
    }
  }
  return mp;
}

std::variant<RcptParams, Reply> parseRcptParams(std::string_view text, const Offered& offered) {
  RcptParams rp;
  auto params = splitParams(text);
  if (!params) return Reply(501, "5.5.4", "Bad RCPT parameter syntax");
  std::set<std::string> seen;
  for (const EsmtpParam& p : *params) {
    if (!seen.insert(p.keyword).second)
      return Reply(501, "5.5.4", "Duplicate " + p.keyword + " parameter");
    if (p.keyword == "NOTIFY" && offered.dsn) {
      if (!p.value || p.value->empty()) return syntax("NOTIFY");
      std::uint8_t bits = 0;
      std::string_view v = *p.value;
      std::size_t start = 0;
      while (start <= v.size()) {
        std::size_t comma = v.find(',', start);
        if (comma == std::string_view::npos) comma = v.size();
        const std::string word = util::upper(v.substr(start, comma - start));
        std::uint8_t bit = 0;
        if (word == "NEVER") bit = queue::notify::kNever;
        else if (word == "SUCCESS") bit = queue::notify::kSuccess;
        else if (word == "FAILURE") bit = queue::notify::kFailure;
        else if (word == "DELAY") bit = queue::notify::kDelay;
        else return syntax("NOTIFY");
        if (bits & bit) return syntax("NOTIFY");
        bits |= bit;
        start = comma + 1;
      }
      if ((bits & queue::notify::kNever) && bits != queue::notify::kNever) return syntax("NOTIFY");
      rp.notify = bits;
    } else if (p.keyword == "ORCPT" && offered.dsn) {
      if (!p.value) return syntax("ORCPT");
      const std::size_t semi = p.value->find(';');
      if (semi == std::string::npos || semi == 0) return syntax("ORCPT");
      const std::string type = p.value->substr(0, semi);
      for (char c : type)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return syntax("ORCPT");
      const std::string raw = p.value->substr(semi + 1);
      if (raw.empty() || raw.size() > kMaxOrcpt) return syntax("ORCPT");
      if (util::upper(type) == "UTF-8") {
        // RFC 6533 utf-8-addr-xtext: kept as sent (it is already printable).
        if (!validUtf8(raw)) return syntax("ORCPT");
        for (unsigned char c : raw)
          if (c < 0x20 || c == 0x7f) return syntax("ORCPT");
        rp.orcpt = "utf-8;" + raw;
      } else {
        auto decoded = xtextDecode(raw);
        if (!decoded) return syntax("ORCPT");
        for (unsigned char c : *decoded)
          if (c < 0x20 || c == 0x7f) return syntax("ORCPT");
        rp.orcpt = util::lower(type) + ";" + *decoded;
      }
    } else {
      return unsupported(p);
    }
  }
  return rp;
}

}  // namespace posthorn::smtpd
