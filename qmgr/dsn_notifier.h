// dsn_notifier - decides which DSNs a queued message owes its sender, has
// the bounce service send them, and records that they were sent
//
//   DsnNotifier notifier(settings);
//   bool settled = notifier.notify(file, queueId, now);   // after a pass
//   if (settled && file.envelope().allDone()) { unlink(file); notifier.forget(queueId); }
//
// Owed, per recipient (RFC 3461 NOTIFY; not given = FAILURE,DELAY):
//   failure  state Failed and NOTIFY allows FAILURE; the sender is not
//            null (a null sender's failures go to 2bounce_notice_recipient
//            only with notify_classes = 2bounce)
//   success  NOTIFY=SUCCESS and state Delivered by a final delivery agent
//            (no Remote-MTA: a DSN-capable next hop took NOTIFY over),
//            Relayed or Expanded
//   delay    still Todo, not warned yet, delay_warning_time > 0 and past
//            since arrival, NOTIFY allows DELAY, the sender not null
// Failure and success DSNs are recorded in the message's DsnLog after the
// service said the DSN is queued; delay DSNs set the recipient's
// delayWarned flag in the queue file. notify() returns false while a
// failure or success DSN could not be sent: the queue file must stay.
#pragma once

#include <chrono>
#include <string>

#include "lib/queue/queue_envelope.h"
#include "lib/queue/queue_file.h"
#include "qmgr/bounce_client.h"
#include "qmgr/qmgr_settings.h"


namespace posthorn::qmgr {

class DsnNotifier {
 public:
  explicit DsnNotifier(const Settings& settings);
  // `file` is open for update and lives in active/.
  bool notify(queue::QueueFile& file, const std::string& queueId, std::chrono::sys_seconds now);
  // When delay warnings fall due for the message's waiting recipients
  // (sys_seconds::max() when never).
  std::chrono::sys_seconds nextDelayWarning(const queue::Envelope& envelope) const;
  // Removes the message's record (its queue file is gone).
  void forget(const std::string& queueId) const;

 private:
  std::string logPath(const std::string& queueId) const;
  bool wantsDelayWarning(const queue::Envelope& env, const queue::Recipient& r) const;

  const Settings& settings_;
  BounceClient client_;
};

}  // namespace posthorn::qmgr
