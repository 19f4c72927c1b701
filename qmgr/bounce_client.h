// bounce_client - qmgr's side of the bounce service (lib/proto/proto_bounce.h)
//
//   BounceClient bounce("/private/bounce", std::chrono::seconds(600));
//   auto r = bounce.send(request);
//   if (r == BounceClient::Result::Sent) record(...);
//
// One connection per request (notifications are rare next to deliveries).
// NoService: the service socket does not exist, i.e. master.conf has no
// bounce service; qmgr then logs that no notification is sent.
#pragma once

#include <chrono>
#include <string>

#include "lib/proto/proto_bounce.h"

namespace posthorn::qmgr {

class BounceClient {
 public:
  enum class Result { Sent, Failed, NoService };
  BounceClient(std::string socketPath, std::chrono::seconds timeout)
      : socketPath_(std::move(socketPath)), timeout_(timeout) {}
  // *detail: the DSN's queue ID when sent, else why not.
  Result send(const ipc::BounceRequest& request, std::string* detail) const;

 private:
  std::string socketPath_;
  std::chrono::seconds timeout_;
};

}  // namespace posthorn::qmgr
