// address - RFC 5321 mailboxes and the paths of MAIL FROM and RCPT TO
//
// A mailbox is Local-part "@" Domain (RFC 5321 4.1.2). The local part is a
// dot-string (atoms joined by single dots) or a quoted string; the domain is
// a dot-atom host name or an address literal ([192.0.2.1],
// [IPv6:2001:db8::1]). With SMTPUTF8 (RFC 6531) the local part and the host
// name may also hold UTF-8; without it such an address is reported as
// AddressProblem::NeedsSmtpUtf8 (smtpd answers 553 5.6.7), distinct from a
// syntax error. Length limits (RFC 5321 4.5.3.1): local part 64 octets,
// domain 255 octets, a path 256 octets including its angle brackets.
//
//   auto r = address::parsePath(" <@relay:Joe@Example.COM> SIZE=100",
//                               address::PathKind::Forward, {.smtpUtf8 = false});
//   if (!r) reply(r.problem == address::AddressProblem::NeedsSmtpUtf8 ? 553 : 501, r.reason);
//   r.address.localPart == "Joe", r.address.domain == "example.com", r.params == "SIZE=100"
//
// An Address keeps the local part in its internal (unquoted) form, as given
// (case kept: only the local delivery agent folds it), and the domain in its
// canonical form: ASCII lower case; address literals normalised
// ("[IPv6:2001:db8::1]", with inet_ntop's spelling of the address).
// toString() quotes the local part again where RFC 5321 needs it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace posthorn::address {

inline constexpr std::size_t kMaxLocalPartLength = 64;
inline constexpr std::size_t kMaxDomainLength = 255;
inline constexpr std::size_t kMaxPathLength = 256;  // "<" mailbox ">"
// The longest mailbox that fits in a path.
inline constexpr std::size_t kMaxMailboxLength = kMaxPathLength - 2;

struct Address {
  // Unquoted: "john doe" for "\"john doe\"@example.com". Empty together with
  // domain for the null reverse-path <>.
  std::string localPart;
  // Lower case host name or normalised address literal. Empty for the null
  // path and for a bare "postmaster" (RCPT TO:<postmaster>).
  std::string domain;

  bool isNull() const { return localPart.empty() && domain.empty(); }
  bool hasDomain() const { return !domain.empty(); }
  bool isDomainLiteral() const { return !domain.empty() && domain.front() == '['; }
  // "postmaster" (any case), with or without a domain (RFC 5321 4.5.1).
  bool isPostmaster() const;
  // Whether the local part or the domain holds non-ASCII bytes (UTF-8).
  bool needsSmtpUtf8() const;

  // The RFC 5321 form: local part quoted when it is not a dot-string, then
  // "@domain" when there is a domain; "" for the null path.
  std::string toString() const;
  // "<" + toString() + ">".
  std::string toPath() const;

  // Exact comparison (local part case-sensitive, domain already canonical).
  bool operator==(const Address&) const = default;
};

// Whether two local parts name the same local user: ASCII case-insensitive,
// as Postfix folds local parts before it looks them up.
bool sameLocalUser(std::string_view a, std::string_view b);
// ASCII lower case (keys of tables, local user names).
std::string foldCase(std::string_view text);

enum class AddressProblem {
  None,
  Syntax,         // not an RFC 5321 mailbox or path
  TooLong,        // over a length limit
  NeedsSmtpUtf8,  // well-formed UTF-8 address, but SMTPUTF8 was not given
};

// "syntax", "too long", "needs SMTPUTF8".
std::string_view problemName(AddressProblem problem);

struct ParseOptions {
  // The transaction declared SMTPUTF8 (MAIL FROM ... SMTPUTF8): UTF-8 is
  // allowed in the local part and the host name.
  bool smtpUtf8 = false;
  // Accept a mailbox without "@domain" (the caller appends $myorigin, as
  // Postfix does for RCPT TO:<user>). A bare "postmaster" is always
  // accepted in a forward path; parseMailbox accepts it only when this or
  // allowPostmaster is set.
  bool allowDomainless = false;
  bool allowPostmaster = false;
  // parsePath only: accept a path without angle brackets
  // ("MAIL FROM:user@example.com"), as Postfix does with its default
  // strict_rfc821_envelopes = no.
  bool allowBareAddress = true;
};

struct MailboxResult {
  Address address;
  AddressProblem problem = AddressProblem::None;
  std::string reason;  // why not, for a reply text: "local part longer than 64 octets"

  bool ok() const { return problem == AddressProblem::None; }
  explicit operator bool() const { return ok(); }
};

// Parses a bare mailbox (no angle brackets, nothing after it).
MailboxResult parseMailbox(std::string_view text, const ParseOptions& options = {});

enum class PathKind {
  Reverse,  // MAIL FROM: <> is allowed
  Forward,  // RCPT TO: <postmaster> is allowed, <> is not
};

struct PathResult {
  Address address;  // isNull() for MAIL FROM:<>
  // What follows the path, leading white space removed: the ESMTP
  // parameters ("SIZE=1000 BODY=8BITMIME"), "" when there are none.
  std::string params;
  // A source route that was given and ignored (RFC 5321 C): "@a,@b".
  std::string sourceRoute;
  AddressProblem problem = AddressProblem::None;
  std::string reason;

  bool ok() const { return problem == AddressProblem::None; }
  explicit operator bool() const { return ok(); }
};

// Parses what follows "MAIL FROM:" or "RCPT TO:". Leniency as Postfix's
// defaults: white space before the path is skipped, and a path without
// angle brackets is accepted when options.allowBareAddress is set. The path
// must be followed by the end of the text or by white space and the
// parameters.
PathResult parsePath(std::string_view text, PathKind kind, const ParseOptions& options = {});

// Whether a local part can go unquoted (an RFC 5321 dot-string; UTF-8
// counts as atext, as with SMTPUTF8).
bool isDotString(std::string_view localPart);
// The local part as RFC 5321 writes it: as is when a dot-string, else a
// quoted string with '"' and '\' escaped.
std::string quoteLocalPart(std::string_view localPart);

// Checks a domain (host name or address literal) and returns its canonical
// form, or nullopt with *reason set. Used for configuration lists too.
std::optional<std::string> canonicalDomain(std::string_view domain, bool allowUtf8,
                                           std::string* reason = nullptr);

// recipient_delimiter: "user+ext" -> {user, ext, '+'}. delimiters is a set
// of characters (Postfix 2.11+: "+-" splits at the first '+' or '-'). No
// split when delimiters is empty, when no delimiter occurs, or when the
// local part starts with one (the user would be empty).
struct LocalPartSplit {
  std::string user;
  std::optional<std::string> extension;  // without the delimiter
  char delimiter = '\0';
};
LocalPartSplit splitExtension(std::string_view localPart, std::string_view delimiters);

}  // namespace posthorn::address
