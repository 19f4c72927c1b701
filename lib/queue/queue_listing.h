// queue_listing - the mail queue as mailq(1) prints it, in Postfix's format
//
//   -Queue ID-    --Size-- ----Arrival Time---- -Sender/Recipient-------
//   1BvWq3ZkT0004*     312 Mon Nov 23 16:01:31  jane@example.com
//   (connect to mx.example.org[192.0.2.1]:25: Connection refused)
//                                               bob@example.org
//
//   -- 1 Kbytes in 1 Request.
//
// or "Mail queue is empty". The character after the ID is '*' for a
// message in active/, '!' for one in hold/ and a space otherwise. Only
// recipients still to be delivered are listed, each after the reason of
// its last deferral when there is one. Used by showq(8) (chrooted into the
// queue directory) and by postdrop -p when showq cannot be reached but the
// queue can be read (root).
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <vector>

namespace posthorn::queue {

struct QueueEntry {
  std::string id;
  char status = ' ';  // '*' active, '!' hold, ' ' otherwise
  std::uint64_t size = 0;
  std::time_t arrival = 0;
  std::string sender;  // empty = the null sender (shown as MAILER-DAEMON)
  struct Recipient {
    std::string address;
    std::string reason;  // the last deferral's diagnostic; empty = none
  };
  std::vector<Recipient> recipients;
};

// Reads incoming/, active/, deferred/, hold/ and maildrop/ under
// queueDirectory ("" when chrooted into it). Files that cannot be read or
// fail their checks are left out; *problems gets one line for each.
std::vector<QueueEntry> scanQueue(const std::string& queueDirectory,
                                  std::vector<std::string>* problems = nullptr);

std::string formatListing(const std::vector<QueueEntry>& entries);

}  // namespace posthorn::queue
