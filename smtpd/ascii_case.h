// ascii_case - upper and lower case of SMTP words: verbs, ESMTP keywords and
// values, SASL mechanisms, logins, words read from posthorn.conf
//
// ASCII only: posthorn never calls setlocale(), so std::toupper and
// std::tolower leave every byte above 0x7f alone.
#pragma once

#include <cctype>
#include <string>
#include <string_view>

namespace posthorn::smtpd {

inline std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

inline std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace posthorn::smtpd
