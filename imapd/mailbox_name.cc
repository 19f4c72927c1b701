// mailbox_name - strict modified UTF-7 both ways, safe folder names, the hierarchy
#include "imapd/mailbox_name.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "lib/mime/transfer_decode.h"
#include "lib/mime/utf8.h"

namespace posthorn::imapd {

namespace {

const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

bool setWhy(std::string* why, const std::string& text) {
  if (why != nullptr) *why = text;
  return false;
}

// Decodes one BASE64 run (between '&' and '-') into out as UTF-8.
bool decodeRun(std::string_view run, std::string& out, std::string* why) {
  std::uint32_t bits = 0;
  int nbits = 0;
  std::vector<std::uint16_t> units;
  std::uint16_t unit = 0;
  bool half = false;
  for (const char c : run) {
    const int v = mime::base64Value(c, ',');
    if (v < 0) return setWhy(why, "bad BASE64 character in modified UTF-7");
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
    nbits += 6;
    if (nbits >= 8) {
      nbits -= 8;
      const auto byte = static_cast<std::uint8_t>((bits >> nbits) & 0xff);
      if (!half) {
        unit = static_cast<std::uint16_t>(byte << 8);
        half = true;
      } else {
        units.push_back(static_cast<std::uint16_t>(unit | byte));
        half = false;
      }
    }
  }
  if (half || nbits >= 6) return setWhy(why, "modified UTF-7 run does not end on a UTF-16 character");
  if ((bits & ((1u << nbits) - 1)) != 0) return setWhy(why, "non-zero padding bits in modified UTF-7");
  if (units.empty()) return setWhy(why, "empty modified UTF-7 run");
  for (std::size_t i = 0; i < units.size(); ++i) {
    const std::uint16_t u = units[i];
    std::uint32_t cp = u;
    if (u >= 0xd800 && u <= 0xdbff) {
      if (i + 1 >= units.size() || units[i + 1] < 0xdc00 || units[i + 1] > 0xdfff)
        return setWhy(why, "unpaired surrogate in modified UTF-7");
      cp = 0x10000 + ((static_cast<std::uint32_t>(u) - 0xd800) << 10) + (units[i + 1] - 0xdc00u);
      ++i;
    } else if (u >= 0xdc00 && u <= 0xdfff) {
      return setWhy(why, "unpaired surrogate in modified UTF-7");
    } else if (u >= 0x20 && u <= 0x7e) {
      return setWhy(why, "printable ASCII encoded in BASE64 (non-canonical modified UTF-7)");
    }
    mime::appendUtf8(out, cp);
  }
  return true;
}

}  // namespace

std::optional<std::string> decodeModifiedUtf7(std::string_view in, std::string* why) {
  std::string out;
  bool lastWasRun = false;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7e) {
      setWhy(why, u >= 0x80 ? "8-bit byte in a modified UTF-7 name" : "control character in a mailbox name");
      return std::nullopt;
    }
    if (c != '&') {
      out += c;
      lastWasRun = false;
      continue;
    }
    const std::size_t end = in.find('-', i + 1);
    if (end == std::string_view::npos) {
      setWhy(why, "'&' not closed by '-' in modified UTF-7");
      return std::nullopt;
    }
    if (end == i + 1) {
      out += '&';
      lastWasRun = false;
    } else {
      if (lastWasRun) {
        setWhy(why, "adjacent BASE64 runs (non-canonical modified UTF-7)");
        return std::nullopt;
      }
      if (!decodeRun(in.substr(i + 1, end - i - 1), out, why)) return std::nullopt;
      lastWasRun = true;
    }
    i = end;
  }
  return out;
}

std::optional<std::string> encodeModifiedUtf7(std::string_view utf8) {
  std::string out;
  std::vector<std::uint16_t> run;
  auto flush = [&] {
    if (run.empty()) return;
    out += '&';
    std::uint32_t bits = 0;
    int nbits = 0;
    for (const std::uint16_t unit : run) {
      for (const int shift : {8, 0}) {
        bits = (bits << 8) | ((unit >> shift) & 0xffu);
        nbits += 8;
        while (nbits >= 6) {
          nbits -= 6;
          out += kAlphabet[(bits >> nbits) & 0x3f];
        }
      }
    }
    if (nbits > 0) out += kAlphabet[(bits << (6 - nbits)) & 0x3f];
    out += '-';
    run.clear();
  };
  for (std::size_t i = 0; i < utf8.size();) {
    char32_t cp = 0;
    const std::size_t len = mime::decodeUtf8(utf8, i, cp);
    if (len == 0) return std::nullopt;
    i += len;
    if (cp >= 0x20 && cp <= 0x7e) {
      flush();
      out += static_cast<char>(cp);
      if (cp == '&') out += '-';
    } else if (cp >= 0x10000) {
      run.push_back(static_cast<std::uint16_t>(0xd800 + ((cp - 0x10000) >> 10)));
      run.push_back(static_cast<std::uint16_t>(0xdc00 + ((cp - 0x10000) & 0x3ff)));
    } else {
      run.push_back(static_cast<std::uint16_t>(cp));
    }
  }
  flush();
  return out;
}

std::string checkMailboxName(std::string_view name) {
  if (name.empty()) return "empty mailbox name";
  if (name.size() > 200) return "mailbox name longer than 200 bytes";
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return "mailbox name contains a control character";
    if (u >= 0x80) return "mailbox name contains 8-bit bytes (send modified UTF-7)";
    if (c == '/') return "mailbox name contains '/'";
    if (c == '*' || c == '%') return "mailbox name contains a wildcard ('*' or '%')";
  }
  if (name.front() == '~') return "mailbox name starts with '~'";
  if (name.front() == kHierarchySeparator || name.back() == kHierarchySeparator)
    return "mailbox name starts or ends with the separator '.'";
  if (name.find("..") != std::string_view::npos) return "mailbox name has an empty level (\"..\")";
  std::string why;
  if (!decodeModifiedUtf7(name, &why)) return why;
  return "";
}

bool isBelowFolder(std::string_view name, std::string_view parent) {
  return name.size() > parent.size() && name[parent.size()] == kHierarchySeparator &&
         name.substr(0, parent.size()) == parent;
}

bool hasChildFolder(const std::vector<std::string>& folders, std::string_view name) {
  return std::any_of(folders.begin(), folders.end(), [&](const std::string& f) { return isBelowFolder(f, name); });
}

}  // namespace posthorn::imapd
