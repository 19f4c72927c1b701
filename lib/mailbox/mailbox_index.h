// mailbox_index - the per-folder index: UIDs, flags, MODSEQs, cached sizes
//
// Three files in the folder's directory (the Maildir root for INBOX):
//   posthorn-index       the base: a snapshot, rewritten whole (temporary
//                        file, fsync, rename) now and then
//   posthorn-index.log   changes since the base, appended one write() per
//                        transaction and fdatasync'ed before the lock is
//                        released
//   posthorn-index.lock  flock(2)ed exclusively by the one writer
// Every line is a checksummed record (index_record.h). The base starts
// with "B <version> <generation> <uidvalidity> <uidnext> <highestmodseq>"
// and ends with "E <count>"; the log starts with "L <version>
// <generation>". A log whose generation is not the base's is stale (a
// rewrite was interrupted after the base was renamed) and ignored. A log
// ends at its first damaged or incomplete line (a kill -9 mid-write); the
// next writer cuts it there. Readers need no lock: they read the base,
// then the log, and retry if a rewrite happened in between.
// See doc/mailbox-store.md.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "lib/mailbox/mailbox_io.h"
#include "lib/mailbox/maildir_flags.h"

namespace posthorn::mailbox {

inline constexpr std::uint64_t kUnknownSize = std::numeric_limits<std::uint64_t>::max();

struct IndexedMessage {
  std::uint32_t uid = 0;
  std::uint64_t modseq = 0;
  std::string name;  // the file's name in new/ or cur/
  bool inNew = false;
  MessageFlags flags;
  std::uint64_t size = kUnknownSize;   // bytes on disk (S=)
  std::uint64_t vsize = kUnknownSize;  // with CRLF line ends (W=)
  std::vector<std::pair<std::string, std::string>> cache;  // envelope, bodystructure, ...

  std::string base() const { return std::string(maildirBase(name)); }
  const std::string* cached(const std::string& key) const;
};

struct IndexHeader {
  std::uint32_t uidValidity = 0;
  std::uint32_t uidNext = 1;
  std::uint64_t highestModseq = 0;
  std::uint64_t generation = 0;
  bool operator==(const IndexHeader&) const = default;
};

// The index in memory. With headerOnly, messages are not kept (a delivery
// needs only UIDNEXT and HIGHESTMODSEQ).
class IndexState {
 public:
  explicit IndexState(bool headerOnly = false) : headerOnly_(headerOnly) {}

  IndexHeader header;
  const std::vector<IndexedMessage>& messages() const { return messages_; }
  const IndexedMessage* find(std::uint32_t uid) const;
  const IndexedMessage* findBase(const std::string& base) const;
  bool headerOnly() const { return headerOnly_; }

  // Applies one base or log record (after the first line); false when
  // the record is not understood (unknown type, bad number).
  bool apply(const std::vector<std::string>& fields);
  void clear();
  void reset(IndexHeader h, std::vector<IndexedMessage> messages);

 private:
  IndexedMessage* findMutable(std::uint32_t uid);

  bool headerOnly_;
  std::vector<IndexedMessage> messages_;  // ascending uid
  // base name -> uid, built on the first findBase() (a reader that only
  // lists never needs it), then kept up to date.
  mutable std::unordered_map<std::string, std::uint32_t> byBase_;
  mutable bool byBaseValid_ = false;
};

// Record builders (the fields of one log line).
std::vector<std::string> appendRecord(const IndexedMessage& m);
std::vector<std::string> flagsRecord(const IndexedMessage& m);
std::vector<std::string> expungeRecord(std::uint32_t uid, std::uint64_t modseq);
std::vector<std::string> cacheRecord(std::uint32_t uid, const std::string& key, const std::string& value);
std::vector<std::string> uidNextRecord(std::uint32_t uidNext);

// The index files are damaged beyond what the log rules repair (a base
// that does not check out): the folder needs a rebuild.
class IndexDamaged : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class MailboxIndex {
 public:
  static constexpr const char* kBaseName = "posthorn-index";
  static constexpr const char* kLogName = "posthorn-index.log";
  static constexpr const char* kLockName = "posthorn-index.lock";

  explicit MailboxIndex(std::string folderDir, bool headerOnly = false);

  bool exists() const;  // the base file is there
  // Reads base and log (throws IndexDamaged, MailboxError).
  void load();
  // Applies what was appended to the log since; reloads after a rewrite.
  // True when anything changed.
  bool refresh();
  const IndexState& state() const { return state_; }
  std::uint64_t logBytes() const { return logOffset_; }
  // Damaged bytes after the last good log record (0 when clean).
  std::uint64_t logDamagedBytes() const { return logDamaged_; }

  // --- writers only, holding the lock (IndexLock) ---
  // Writes a new base from header + messages and an empty log.
  void create(const IndexHeader& header, const std::vector<IndexedMessage>& messages);
  // Appends records (one write, one fdatasync) and applies them. Cuts a
  // damaged tail first. Does nothing for an empty list. With durable =
  // false the fdatasync is left to a later syncLog() (a delivery does it
  // after releasing the lock, so that deliveries overlap their fsyncs).
  void append(const std::vector<std::vector<std::string>>& records, bool durable = true);
  void syncLog();
  // Rewrites the base from the current state (full state needed).
  void compact();

  const std::string& directory() const { return dir_; }

 private:
  void writeBaseAndLog(const IndexHeader& header, const std::vector<IndexedMessage>& messages);
  bool readLogFrom(bool fromStart);

  std::string dir_;
  IndexState state_;
  Fd logFd_;
  Fd unsyncedFd_;  // the log written without fdatasync
  ino_t logIno_ = 0;
  std::uint64_t logOffset_ = 0;
  std::uint64_t logDamaged_ = 0;
  bool logStale_ = false;
  bool loaded_ = false;
};

// flock(2) on posthorn-index.lock: one writer per folder at a time.
class IndexLock {
 public:
  // Waits up to timeoutMs; throws MailboxError (EAGAIN) when it cannot.
  explicit IndexLock(const std::string& folderDir, int timeoutMs = 30000);
  IndexLock(IndexLock&&) = default;

 private:
  Fd fd_;
};

}  // namespace posthorn::mailbox
