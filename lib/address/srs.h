// srs - the Sender Rewriting Scheme, so that mail we forward keeps passing
// SPF at the next hop and its bounces still find the original sender
//
// A forwarded message leaves with an envelope sender in our domain
// (srs_domain) that encodes the original one; a bounce to it is decoded
// and sent on. The format is the one Mail::SRS, postsrsd and python3-srs
// use ("Guarded"):
//
//   alice@example.org   -> SRS0=HHHH=TT=example.org=alice@srs.domain
//   SRS0=...@other.net  -> SRS1=HHHH=other.net==HHHH=TT=example.org=alice@srs.domain
//
// HHHH is the first 4 base64 characters of HMAC-SHA1(secret, the lower-case
// fields), TT the day (base32, a 1024-day cycle). A decoded address must
// carry a hash made with one of the secrets (the first signs; older ones
// still verify, for rotation) and, for SRS0, a day within maxAge. Why our
// own code: Debian has no maintained C library for SRS (postsrsd is a
// daemon, libsrs2 is not packaged); see doc/decisions.md.
#pragma once

#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lib/config/config.h"

namespace posthorn::address {

class SrsCodec {
 public:
  SrsCodec(std::string domain, std::vector<std::string> secrets, int maxAgeDays = 21);

  // From srs_domain, srs_secret_file (a line per secret, the first signs;
  // '#' comments) and srs_max_age: nullptr when srs_domain is empty.
  // Throws config::ConfigError naming the file when it has no secret or
  // cannot be read.
  static std::shared_ptr<const SrsCodec> fromConfig(const config::Config& cfg);

  const std::string& domain() const { return domain_; }

  // The sender to forward with: unchanged for the null sender and for
  // senders in srs_domain; SRS0 for others; SRS1 for an SRS0 or SRS1
  // address of another forwarder.
  std::string forward(const std::string& sender, std::time_t now) const;

  // Whether address is one of ours to decode: an SRS0/SRS1 local part
  // (any case) at srs_domain.
  bool isSrsAddress(const std::string& address) const;

  // The address a bounce to `address` goes to, or nullopt with *why
  // ("bad hash", "expired", "malformed").
  std::optional<std::string> reverse(const std::string& address, std::time_t now, std::string* why) const;

 private:
  std::string hash(const std::string& secret, const std::vector<std::string>& fields) const;
  bool hashValid(const std::string& hash, const std::vector<std::string>& fields) const;

  std::string domain_;
  std::vector<std::string> secrets_;
  int maxAgeDays_;
};

}  // namespace posthorn::address
