// queue_dirs - the subdirectories of queue_directory, their modes, and the
// directory-level operations on queue files
//
// Layout (modes as Postfix uses them; owner mail_owner unless noted):
//   maildrop  1730  group setgid_group: postdrop drops files, cannot list
//   incoming  0700  cleanup's output, qmgr's input
//   active    0700  what qmgr is delivering
//   deferred  0700  waiting for a retry
//   hold      0700  put aside by the administrator
//   corrupt   0700  files that failed their checks
//   bounce    0700  per-message bounce logs
//   defer     0700  per-message deferral logs
//   private   0700  sockets of internal services
//   public    0710  group setgid_group: sockets postdrop may use
//   pid       0755  owner root: master's lock and pid file
//   dmarc     0700  smtpd's DMARC evaluations, one file a day (lib/mailauth/dmarc_history.h)
//   mta-sts   0700  smtp's cache of MTA-STS policies, one file a domain (smtp/mta_sts.h)
//   tls-rpt   0700  smtp's TLS sessions for TLS-RPT, one file a day (smtp/tls_rpt_log.h)
// The queue directory itself is 0755 (owner root when run as root). Queue
// files are named by their ID; anything else in a queue directory (names
// starting with "." are writers' temporary files) is not a queue file.
#pragma once

#include <sys/types.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "lib/queue/queue_id.h"

namespace posthorn::queue {

enum class QueueDir {
  Maildrop, Incoming, Active, Deferred, Hold, Corrupt, Bounce, Defer, Private, Public, Pid, Dmarc, MtaSts, TlsRpt
};

inline constexpr std::array kAllQueueDirs = {
    QueueDir::Maildrop, QueueDir::Incoming, QueueDir::Active,  QueueDir::Deferred,
    QueueDir::Hold,     QueueDir::Corrupt,  QueueDir::Bounce,  QueueDir::Defer,
    QueueDir::Private,  QueueDir::Public,   QueueDir::Pid,     QueueDir::Dmarc,
    QueueDir::MtaSts,   QueueDir::TlsRpt};

std::string_view queueDirName(QueueDir dir);  // "incoming"
std::optional<QueueDir> queueDirFromName(std::string_view name);
mode_t queueDirMode(QueueDir dir);  // 01730, 0700, ...

// "<queueDirectory>/<name>" and "<queueDirectory>/<name>/<id>".
std::string queueDirPath(const std::string& queueDirectory, QueueDir dir);
std::string queueFilePath(const std::string& queueDirectory, QueueDir dir, const QueueId& id);

struct QueueOwners {
  uid_t mailOwner = static_cast<uid_t>(-1);  // -1: leave ownership alone
  gid_t mailGroup = static_cast<gid_t>(-1);  // mail_owner's primary group
  gid_t setgidGroup = static_cast<gid_t>(-1);  // group of maildrop and public
};

// Creates queueDirectory and every subdirectory that is missing, and sets
// mode (regardless of umask) and, when owners are given, ownership on all
// of them, existing ones included (chown needs root; pid/ and the queue
// directory itself then belong to root). Throws QueueFileError(Io) naming
// the path, e.g. when a non-directory is in the way.
void createQueueDirectories(const std::string& queueDirectory, const QueueOwners& owners = {});

// Moves a queue file between subdirectories (rename, never replacing an
// existing file). Atomic: after a crash the file is in one place or the
// other, which is why no fsync is needed for safety; `sync` adds fsync of
// both directories for callers that need the move itself to be durable.
void moveQueueFile(const std::string& queueDirectory, const QueueId& id, QueueDir from,
                   QueueDir to, bool sync = false);

// Writers' temporary files (".<id>.tmp") are left behind only when a
// process died mid-write. Removes those in `directory` not modified for
// `maxAge` and returns how many.
std::size_t removeStaleTempFiles(const std::string& directory, std::chrono::seconds maxAge);
bool isTempFileName(std::string_view name);

}  // namespace posthorn::queue
