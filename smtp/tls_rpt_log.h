// tls_rpt_log - every TLS session smtp tries with a recipient domain's MX
// hosts, kept for the daily SMTP TLS reports (RFC 8460) that
// `posthorn tlsrpt send` builds (tools/tls_report.h)
//
//   TlsRptLog rpt("/tls-rpt");   // $queue_directory/tls-rpt, as smtp sees it
//   rpt.record(session);
//
// One file per UTC day, named YYYYMMDD (lib/log/daily_file.h: one write()
// a line, O_APPEND, not fsynced), one JSON object per line:
//
//   {"time":1765130000,"policy_domain":"example.org","policy_type":"sts",
//    "policy_string":["version: STSv1","mode: enforce","mx: mx.example.org",
//    "max_age: 86400"],"policy_mx":["mx.example.org"],
//    "mx_host":"mx.example.org","receiving_ip":"192.0.2.25",
//    "sending_mta_ip":"192.0.2.1","result":"certificate-expired",
//    "failure_reason_code":"certificate has expired"}
//
// policy_type is RFC 8460's: "sts" (an MTA-STS policy in enforce or
// testing mode, or one that could not be fetched), "tlsa" (a DNSSEC-secure
// TLSA RRset, or a TLSA lookup that failed), "no-policy-found".
// policy_string holds the policy's lines or the TLSA records in
// presentation form; policy_mx the policy's mx patterns (sts) or the MX
// host (tlsa). result is "success" or a result type of RFC 8460 4.3.
// What is a session: every connection on which TLS was tried or required
// (STARTTLS offered or not), and every MX host a policy made us skip
// (unlisted in an enforce policy, a failed TLSA lookup); not a connection
// that failed before the greeting, nor smtp_tls_security_level = none.
#pragma once

#include <ctime>
#include <string>
#include <vector>

#include "lib/log/daily_file.h"

namespace posthorn::smtp {

struct TlsRptPolicy {
  std::string type = "no-policy-found";  // sts, tlsa, no-policy-found
  std::vector<std::string> strings;      // policy lines, TLSA records
  std::vector<std::string> mx;           // the policy's mx patterns; the MX host for tlsa
};

struct TlsRptSession {
  std::string policyDomain;  // the recipient domain
  TlsRptPolicy policy;
  std::string mxHost, receivingIp, sendingIp;
  std::string result = "success";
  std::string reason;  // failure_reason_code: what went wrong, in words
};

// The line for one session, without the newline.
std::string tlsRptLine(const TlsRptSession& session, std::time_t time);

class TlsRptLog {
 public:
  explicit TlsRptLog(std::string directory) : file_(std::move(directory), "a TLS-RPT session") {}
  void record(const TlsRptSession& session, std::time_t time = 0);

 private:
  log::DailyFile file_;
};

}  // namespace posthorn::smtp
