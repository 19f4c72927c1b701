// tls_report - SMTP TLS reports (RFC 8460 section 4) built from the TLS
// sessions smtp keeps (smtp/tls_rpt_log.h)
//
//   std::vector<TlsReport> reports = buildTlsReports(lines, dayStart, submitter, &skipped);
//   std::string json = tlsReportJson(reports[0]);
//
// One report per policy domain that had sessions that day. Inside it, one
// entry of "policies" per distinct policy (type, policy strings and mx
// hosts; a TLSA policy is its MX host's), with the count of successful
// and failed sessions, and the failures grouped by result type, both
// addresses, MX host and reason, each with its count.
#pragma once

#include <ctime>
#include <string>
#include <vector>

namespace posthorn::tools {

struct TlsSubmitter {
  std::string orgName;   // organization-name and the Submitter: $mydomain
  std::string contact;   // contact-info, From: the address reports come from
  std::string hostname;  // the report ID's right side: $myhostname
};

struct TlsFailureDetail {
  std::string resultType, sendingIp, receivingMx, receivingIp, reasonCode;
  long count = 0;
};

struct TlsPolicyResult {
  std::string type;                  // sts, tlsa, no-policy-found
  std::vector<std::string> strings;  // policy-string
  std::vector<std::string> mx;       // mx-host
  long successes = 0, failures = 0;
  std::vector<TlsFailureDetail> details;
};

struct TlsReport {
  std::string policyDomain;
  std::time_t begin = 0, end = 0;  // the UTC day, seconds (end: 23:59:59)
  std::string reportId;
  TlsSubmitter submitter;
  std::vector<TlsPolicyResult> policies;
  long successes() const;
  long failures() const;
};

// Lines that do not parse are skipped and counted in *skipped.
std::vector<TlsReport> buildTlsReports(const std::vector<std::string>& sessionLines, std::time_t dayStart,
                                       const TlsSubmitter& submitter, int* skipped);

// The report as RFC 8460 4.4 writes it.
std::string tlsReportJson(const TlsReport& report);

// RFC 8460 5.1: submitter!policy-domain!begin!end!unique-id.json.gz
std::string tlsReportFileName(const TlsReport& report);

// The rua= of the "v=TLSRPTv1" record among a _smtp._tls TXT RRset; ""
// when there is no such record or more than one (RFC 8460 3: no reports).
std::string tlsRptRua(const std::vector<std::string>& txt);

}  // namespace posthorn::tools
