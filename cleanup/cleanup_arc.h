// cleanup_arc - an ARC set (RFC 8617) on a message local(8) forwards to
// another domain (cleanup_flags::kArcSeal)
//
// Fed the content exactly as it goes into the queue file. The header is
// held until its end; the body is hashed (relaxed) as it streams by;
// finish() returns the three fields for the queue file's prepended header
// and logs what it did:
//   QUEUEID: ARC set i=1 added (cv=none, d=example.org, s=202612-rsa)
//   QUEUEID: no ARC set: no Authentication-Results field of mx.example.org to seal
// The set carries the Authentication-Results field smtpd wrote when the
// message arrived (see lib/mailauth/arc_seal.h for what is sealed when).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "cleanup/held_header.h"
#include "lib/mailauth/arc_seal.h"
#include "lib/mailauth/relaxed_canon.h"

namespace posthorn::cleanup {

class ArcStage {
 public:
  static constexpr std::size_t kMaxHeldHeader = 1u << 20;

  ArcStage(const mailauth::ArcSealer& sealer, std::string authservId, std::string queueId);
  void feed(std::string_view content);
  std::string finish();

 private:
  const mailauth::ArcSealer& sealer_;
  std::string authservId_;
  std::string queueId_;
  HeldHeader held_;
  std::string header_;
  bool headerDone_ = false;
  bool abandoned_ = false;
  mailauth::RelaxedBodyHash body_;
};

}  // namespace posthorn::cleanup
