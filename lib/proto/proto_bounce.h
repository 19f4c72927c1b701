// proto_bounce - how qmgr asks the bounce service for a delivery status
// notification (DSN, RFC 3464)
//
// qmgr connects to $queue_directory/private/bounce and sends one
// BounceRequest per notification: the queue file (which the service reads
// itself: envelope, each recipient's last report, the original message)
// and the indices of the recipients to report on. The service builds the
// multipart/report message, submits it through cleanup (public/cleanup)
// with the null sender, and answers with one BounceReply. qmgr records
// that the recipients were notified only after a reply with sent = true
// (doc/bounces.md: a kill at any instant loses no notification).
//
//   qmgr                                       bounce
//   BounceRequest {queue file, kind, rcpts} -->
//                                           <-- BounceReply {sent, queue id}
//
// The connection may carry further requests. A connection lost before the
// reply means "not sent": qmgr tries again later.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lib/ipc/ipc.h"

namespace posthorn::ipc {

inline constexpr std::uint32_t kBounceProtoVersion = 1;

// Which notification: the RFC 3464 Action of its recipients.
enum class DsnKind : std::uint32_t {
  Failure = 0,  // Action: failed, to the sender (NOTIFY=FAILURE or not given)
  Delay = 1,    // Action: delayed (NOTIFY=DELAY or not given), still retried
  Success = 2,  // Action: delivered / relayed / expanded (NOTIFY=SUCCESS)
};
inline bool ipcEnumValid(DsnKind k) {
  return static_cast<std::uint32_t>(k) <= static_cast<std::uint32_t>(DsnKind::Success);
}
inline std::string_view dsnKindName(DsnKind k) {
  switch (k) {
    case DsnKind::Failure: return "failure";
    case DsnKind::Delay: return "delay";
    case DsnKind::Success: return "success";
  }
  return "unknown";
}

struct BounceRequest {
  static constexpr MsgType kType = MsgType::BounceRequest;
  static constexpr std::uint32_t kVersion = kBounceProtoVersion;
  std::string queueId;
  std::string queueFile;  // relative to queue_directory: "active/<id>"
  DsnKind kind = DsnKind::Failure;
  std::vector<std::uint32_t> recipients;  // indices into the queue file's recipients
  template <class V>
  void fields(V& v) {
    v("queue_id", queueId);
    v("queue_file", queueFile);
    v("kind", kind);
    v("recipients", recipients);
  }
};

struct BounceReply {
  static constexpr MsgType kType = MsgType::BounceReply;
  static constexpr std::uint32_t kVersion = kBounceProtoVersion;
  bool sent = false;       // the DSN is in the queue (cleanup said 250)
  std::string dsnQueueId;  // the DSN's own queue ID when sent
  std::string text;        // why not, for the log
  template <class V>
  void fields(V& v) {
    v("sent", sent);
    v("dsn_queue_id", dsnQueueId);
    v("text", text);
  }
};

}  // namespace posthorn::ipc
