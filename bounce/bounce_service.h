// bounce_service - the bounce service's work for one request: read the
// queue file, write the DSN, submit it through cleanup (see bounce(8))
//
//   BounceService service(BounceSettings(cfg), root);
//   ipc::BounceReply reply = service.handle(request);
//
// The DSN goes to the envelope sender, from the null sender. A message
// from the null sender gets no DSN, except a failure report to
// 2bounce_notice_recipient when notify_classes has "2bounce" (never for a
// message that is itself such a report). With "bounce" in notify_classes
// each failure DSN is also copied, with the headers only, to
// bounce_notice_recipient. The original travels whole only for RET=FULL
// and when it is not over bounce_size_limit.
#pragma once

#include <cstdint>
#include <string>

#include "lib/proto/proto_bounce.h"
#include "bounce/bounce_message.h"

namespace posthorn::config {
class Config;
}

namespace posthorn::bounce {

// The envelope attribute that marks a DSN, with its kind or "postmaster"
// or "2bounce" as value.
inline constexpr const char* kDsnAttribute = "dsn";

struct BounceSettings {
  std::string queueDirectory;
  DsnSettings dsn;
  std::uint64_t bounceSizeLimit{};
  bool copyBounces = false;       // notify_classes has "bounce"
  bool doubleBounces = false;     // notify_classes has "2bounce"
  std::string bounceNoticeRecipient;
  std::string doubleBounceNoticeRecipient;
  // The only way to make one (defaults: the parameter table).
  explicit BounceSettings(const config::Config& cfg);
};

class BounceService {
 public:
  // root: prefix of queue paths ("" inside the chroot jail).
  BounceService(const BounceSettings& settings, std::string root, std::string cleanupSocket);
  ipc::BounceReply handle(const ipc::BounceRequest& request);

 private:
  const BounceSettings& settings_;
  std::string root_;
  std::string cleanupSocket_;
};

}  // namespace posthorn::bounce
