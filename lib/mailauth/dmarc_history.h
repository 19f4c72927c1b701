// dmarc_history - every DMARC evaluation of inbound mail, kept for the
// aggregate reports (RFC 7489 section 7.2) that the report generator builds
//
//   mailauth::DmarcHistory history("/dmarc");   // $queue_directory/dmarc, as smtpd sees it
//   history.record(results, {.queueId = id, .applied = "quarantine"});
//
// One file per UTC day, named YYYYMMDD, one JSON object per line:
//
//   {"time":1765130000,"queue_id":"...","source_ip":"192.0.2.7",
//    "helo":"mail.example.org","envelope_from":"example.org",
//    "header_from":"example.org","policy_domain":"example.org",
//    "record":"v=DMARC1; p=reject; rua=mailto:d@example.org",
//    "policy":"reject","pct":100,"dmarc":"fail","disposition":"reject",
//    "applied":"reject","spf":{"domain":"example.org","scope":"mfrom",
//    "result":"fail","aligned":false},"dkim":[{"domain":"example.org",
//    "selector":"s1","result":"fail"}],"dkim_aligned":false}
//
// "disposition" is what the domain's policy asks for this message (after
// pct), "applied" what this server did (none when enforcement is off or
// the client or domain is allowlisted; a rejected message is recorded
// too), "override" (only when set) why a failure was let through:
// "trusted_forwarder" for a trusted ARC sealer. Only evaluations that found a DMARC record are kept: a domain
// without one asks for no reports. The lines are appended as
// lib/log/daily_file.h does: one write() each to a file opened O_APPEND
// (concurrent smtpd processes never mix lines), not fsynced (statistics).
#pragma once

#include <ctime>
#include <string>

#include "lib/log/daily_file.h"
#include "lib/mailauth/sender_checks.h"

namespace posthorn::mailauth {

struct HistoryContext {
  std::string queueId;
  std::string applied = "none";  // none, quarantine, reject
  std::string override = "";     // why the policy was not applied: "trusted_forwarder", or ""
  std::time_t time = 0;          // 0: now
};

// The line for one evaluation (without the newline); "" when it is not
// kept (no DMARC record was found).
std::string historyLine(const CheckResults& results, const HistoryContext& context);

class DmarcHistory {
 public:
  explicit DmarcHistory(std::string directory) : file_(std::move(directory), "a DMARC evaluation") {}
  // Appends the line; a failure is logged (once per file name), never thrown:
  // a full disk must not refuse mail.
  void record(const CheckResults& results, const HistoryContext& context);
  // directory/YYYYMMDD for that time (UTC).
  std::string fileFor(std::time_t time) const { return file_.fileFor(time); }

 private:
  log::DailyFile file_;
};

}  // namespace posthorn::mailauth
