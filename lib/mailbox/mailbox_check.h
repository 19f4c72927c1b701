// mailbox_check - checking and repairing one folder's index and quota
//
// checkFolder() only reads: it reports a damaged index, a torn log tail,
// messages without a UID, files gone, flags changed outside, maildirsize
// differing from the real total (for the quota root), and stale files in
// tmp/ (older than 36 hours). repairFolder() fixes all of it under the
// locks: rebuilds a damaged index (new UIDVALIDITY, logged), syncs with
// the directory, rewrites the base (which also drops a torn log tail),
// recounts maildirsize and removes stale tmp/ files. UIDs already given
// never change. `posthorn mailbox check|repair` runs these.
#pragma once

#include <string>
#include <vector>

#include "lib/mailbox/maildir_folder.h"

namespace posthorn::mailbox {

struct CheckReport {
  std::vector<std::string> problems;  // what check found (or repair fixed)
  std::vector<std::string> notes;     // facts: UIDVALIDITY, counts
  bool ok() const { return problems.empty(); }
};

// folderDir is the folder's Maildir (quotaRoot itself for INBOX).
CheckReport checkFolder(const std::string& quotaRoot, const std::string& folderDir);
CheckReport repairFolder(const std::string& quotaRoot, const std::string& folderDir);

}  // namespace posthorn::mailbox
