// auth_results - the Authentication-Results header field (RFC 8601)
//
//   mailauth::AuthResults ar("mx.example.net");
//   ar.add("spf", "pass", "sender SPF authorized", {{"smtp.mailfrom", "alice@example.org"}});
//   ar.header();   // "Authentication-Results: mx.example.net;\r\n\tspf=pass (...) smtp.mailfrom=..."
//
// One method result per line after the authserv-id; comments are escaped
// (a parenthesis or backslash in them gets a backslash); a property value
// that is not a token or an address is quoted. No result at all writes
// "none" (RFC 8601 section 2.2).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace posthorn::mailauth {

class AuthResults {
 public:
  explicit AuthResults(std::string authservId) : authservId_(std::move(authservId)) {}

  using Properties = std::vector<std::pair<std::string, std::string>>;
  void add(std::string_view method, std::string_view result, std::string_view comment,
           const Properties& properties);

  // The whole field, "Authentication-Results: " to the final CRLF.
  std::string header() const;
  // The value alone, on one line (for logs and `posthorn auth check -v`).
  std::string value() const;

 private:
  std::string authservId_;
  std::vector<std::string> results_;
};

// The authserv-id an Authentication-Results value starts with (after
// comments and folding; a quoted-string unquoted), "" when there is none.
// What a border MTA compares with its own to remove forged fields.
std::string authservIdOf(std::string_view value);

// The result of the first `method` (lower case, e.g. "dmarc") in an
// Authentication-Results or ARC-Authentication-Results value, lower case;
// "" when the value reports no such method.
std::string methodResult(std::string_view value, std::string_view method);

}  // namespace posthorn::mailauth
