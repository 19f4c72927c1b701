// queue_file - a queue file opened for delivery: qmgr records each
// recipient's progress in it, durably, as it goes
//
//   QueueFile qf("active/4Xb2kQ1z7TzA0");   // exclusive lock, checked
//   qf.markDone(0);                          // on disk when it returns
//   qf.defer(1, retryAt, {.dsnStatus = "4.4.1",
//                         .diagnostic = "smtp; 450 4.4.1 try later",
//                         .remoteMta = "dns; mx.example.com"});
//   qf.markDone(2, RecipientState::Failed, report);
//
// A change without a report rewrites one 24-byte status slot of the
// recipient in place (pwrite + fdatasync). Each recipient has two slot
// copies, each with a sequence number and its own CRC; a change overwrites
// the older copy, so a write torn by a crash damages only the copy being
// written and the reader falls back to the other: old state or new, never
// neither. A change with a report (Diagnostic-Code, Remote-MTA, status
// code) is appended after the end record as one self-checking update
// record carrying the new status too (a whole batch in one record: all or
// nothing); a torn append is ignored by readers and cut off before the
// next append. Every method returns only after fdatasync succeeded; after a
// failed one the object refuses further changes (reopen the file, since
// the disk state is unknown). One updater at a time: the constructor takes
// flock(LOCK_EX|LOCK_NB) and throws Kind::Locked if someone else has it.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lib/queue/queue_file_reader.h"

namespace posthorn::queue {

class QueueFile : public QueueFileReader {
 public:
  explicit QueueFile(std::string path);

  std::size_t recipientCount() const { return envelope_.recipients.size(); }
  const Recipient& recipient(std::size_t index) const;

  // Final state (Delivered by default), optionally with the report of the
  // attempt (the remote's answer; for a Failed one, what the bounce says).
  void markDone(std::size_t index, RecipientState state = RecipientState::Delivered);
  void markDone(std::size_t index, RecipientState state, const DeliveryReport& report);
  // Still to do: one more attempt counted, not before nextRetry.
  void defer(std::size_t index, std::chrono::sys_seconds nextRetry, const DeliveryReport& report);
  void setDelayWarned(std::size_t index);

  // Any set of changes, durable together (one fdatasync). With at least one
  // report they are also atomic (one update record). The report's time is
  // set to the time of writing.
  struct Change {
    std::size_t index = 0;
    RecipientStatus status;
    std::optional<DeliveryReport> report;
  };
  void apply(const std::vector<Change>& changes);

 private:
  void writeSlots(const std::vector<Change>& changes);
  void appendUpdate(const std::vector<Change>& changes);
  void check(std::size_t index) const;

  bool broken_ = false;
};

// Opens `path` for update, waiting while another process holds the lock
// (a delivery agent still working on it), at most `patience`. nullptr with
// *error set when it stays locked or cannot be opened.
std::unique_ptr<QueueFile> openQueueFileWaiting(const std::string& path,
                                                std::chrono::milliseconds patience,
                                                std::string* error);

}  // namespace posthorn::queue
