// maildir_quota - Maildir++ quota: the maildirsize file, as Courier and Dovecot use it
//
// maildirsize's first line is the quota definition "<bytes>S,<count>C"
// (0 = no limit); every further line is "<bytes> <count>", a change in usage
// (negative after an expunge). Usage is the sum of those lines. A delivery
// appends one line with a single O_APPEND write(). The file is rebuilt from
// the messages in cur/ and new/ (of the Maildir and its .Folders) when it is
// missing, longer than 5120 bytes, unreadable, carries another quota
// definition than the caller's, or says "over quota" while older than 15
// minutes. See doc/mailbox-delivery.md for the locking that keeps the sum
// exact under concurrent deliveries.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "lib/mailbox/mailbox_io.h"

namespace posthorn::mailbox {

// A Maildir++ quota; 0 means no limit on that dimension.
struct MaildirQuota {
  std::uint64_t bytes = 0;
  std::uint64_t messages = 0;
  bool unlimited() const { return bytes == 0 && messages == 0; }
  bool operator==(const MaildirQuota&) const = default;
};

struct MaildirUsage {
  std::int64_t bytes = 0;
  std::int64_t messages = 0;
  bool operator==(const MaildirUsage&) const = default;
};

// maildirsize parsed; valid is false when any line is malformed.
struct MaildirSizeContent {
  bool valid = false;
  MaildirQuota quota;
  MaildirUsage usage;
};

MaildirSizeContent parseMaildirSize(std::string_view text);
std::string formatQuotaDefinition(const MaildirQuota& quota);  // "<bytes>S,<count>C"
// Messages in cur/ and new/ of the Maildir and of each .Folder: sizes from
// ,S= in the name when present, else stat(2).
MaildirUsage scanMaildirUsage(const std::string& maildir);

// What a count of one directory does with what it cannot count.
enum class UsageCount {
  Rebuild,   // scanMaildirUsage: an unreadable directory throws (a missing
             // one adds nothing); entries that are not regular files are skipped
  Tolerant,  // a folder about to be deleted: an unreadable directory adds
             // nothing; every entry counts
};
// Adds the messages of one cur/ or new/ directory to usage, sized as
// scanMaildirUsage sizes them.
void addDirectoryUsage(const std::string& dir, MaildirUsage& usage,
                       UsageCount how = UsageCount::Rebuild);

// Recounts an existing maildirsize from the messages, under an exclusive
// lock (so concurrent deliveries stay exact), keeping its quota
// definition. Returns the usage now recorded; when there is no file,
// nothing is written and the scanned usage is returned.
MaildirUsage rebuildMaildirSize(const std::string& maildir);

// True when one more message of `size` bytes would go over `quota`.
bool quotaExceeded(const MaildirQuota& quota, const MaildirUsage& usage, std::uint64_t size);

// maildirsize opened for one delivery, holding a shared flock(2) until it
// is destroyed; a rebuild takes the lock exclusively. The delivery renames
// its message into new/ and appends its line while holding the lock, so a
// rebuild never counts a message twice or misses one.
class MaildirSizeFile {
 public:
  // Opens maildir/maildirsize, creating or rebuilding it when needed (see
  // above). With an unlimited quota a missing file stays missing and
  // exists() is false. incomingBytes is the size of the message about to
  // be delivered (for the "over quota and older than 15 minutes" rule).
  static MaildirSizeFile open(const std::string& maildir, const MaildirQuota& quota,
                              std::uint64_t incomingBytes);

  bool exists() const { return fd_.valid(); }
  const MaildirUsage& usage() const { return usage_; }
  const std::string& path() const { return path_; }
  // Appends "<bytes> <count>\n" with one write(); no-op when !exists().
  void add(std::int64_t bytes, std::int64_t messages);

 private:
  MaildirSizeFile(Fd fd, std::string path, MaildirUsage usage)
      : fd_(std::move(fd)), path_(std::move(path)), usage_(usage) {}

  Fd fd_;
  std::string path_;
  MaildirUsage usage_;
};

}  // namespace posthorn::mailbox
