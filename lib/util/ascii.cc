// ascii - case of protocol words (see ascii.h)
#include "lib/util/ascii.h"

namespace posthorn::util {

void upperInPlace(std::string& s) {
  for (char& c : s) c = asciiUpper(c);
}

void lowerInPlace(std::string& s) {
  for (char& c : s) c = asciiLower(c);
}

std::string upper(std::string_view s) {
  std::string out(s);
  upperInPlace(out);
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  lowerInPlace(out);
  return out;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (asciiLower(a[i]) != asciiLower(b[i])) return false;
  }
  return true;
}

bool startsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && equalsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

}  // namespace posthorn::util
