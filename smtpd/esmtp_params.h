// esmtp_params - the ESMTP parameters of MAIL FROM and RCPT TO
//
// MAIL: SIZE=n (RFC 1870), BODY=7BIT|8BITMIME (RFC 6152; BINARYMIME (RFC
// 3030) only when offered: cleanup stores text lines, so smtpd does not),
// SMTPUTF8 (RFC 6531), RET=FULL|HDRS and ENVID=xtext (RFC 3461), AUTH=
// (RFC 4954). RCPT: NOTIFY=NEVER|SUCCESS,FAILURE,DELAY and
// ORCPT=addr-type;xtext (RFC 3461). Each parse returns the values or the
// reply to send: 501 5.5.4 for a malformed value, 555 5.5.4 for a keyword
// we do not know or did not offer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "lib/queue/queue_envelope.h"
#include "smtpd/smtp_reply.h"

namespace posthorn::smtpd {

struct EsmtpParam {
  std::string keyword;               // upper case
  std::optional<std::string> value;  // as sent
};

// Splits "KEY=VALUE KEY2 ..." (space separated); nullopt for an empty
// keyword or a keyword with characters other than letters, digits and '-'.
std::optional<std::vector<EsmtpParam>> splitParams(std::string_view text);

// RFC 3461 xtext: "+XX" hex escapes (upper case hex), printable ASCII
// otherwise except '+' and '='. nullopt when text is not valid xtext.
std::optional<std::string> xtextDecode(std::string_view text);
std::string xtextEncode(std::string_view text);

// What the session offers (which parameters are allowed).
struct Offered {
  bool chunking = true;
  bool smtputf8 = true;
  bool dsn = true;
  bool eightBitMime = true;
  bool binaryMime = false;  // needs chunking too
  std::uint64_t sizeLimit = 0;  // 0 = no limit
};

struct MailParams {
  std::optional<std::uint64_t> size;
  queue::BodyType body = queue::BodyType::Unspecified;
  bool smtputf8 = false;
  queue::Ret ret = queue::Ret::Unspecified;
  std::string envid;  // decoded
  std::string auth;   // "" absent, "<>" given (we never trust a client's AUTH=)
  std::string authGiven;  // AUTH= as given (xtext-decoded; "<>" stays): for
                          // an authenticated session (smtpd_session.h)
};

struct RcptParams {
  std::uint8_t notify = 0;  // queue::notify bits
  std::string orcpt;        // "rfc822;user@example.com" (decoded), "" absent
};

std::variant<MailParams, Reply> parseMailParams(std::string_view text, const Offered& offered);
std::variant<RcptParams, Reply> parseRcptParams(std::string_view text, const Offered& offered);

}  // namespace posthorn::smtpd
