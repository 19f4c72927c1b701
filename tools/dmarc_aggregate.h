// dmarc_aggregate - DMARC aggregate reports (RFC 7489 section 7.2,
// Appendix C) built from the evaluations smtpd keeps
// (lib/mailauth/dmarc_history.h)
//
//   std::vector<AggregateReport> reports = buildAggregateReports(lines, dayStart, reporter);
//   std::string xml = aggregateReportXml(reports[0]);
//
// One report per policy domain that asked for reports (rua=) and had mail
// that day. Messages with the same source address, identifiers, results
// and disposition are one row with their count. The XML is the RFC's
// <feedback> document without a namespace, as receivers send and parse it.
#pragma once

#include <ctime>
#include <string>
#include <vector>

namespace posthorn::tools {

struct ReporterInfo {
  std::string orgName;       // report_metadata/org_name: $mydomain
  std::string email;         // report_metadata/email: dmarc_report_address
  std::string receiver;      // the file name's receiver part: $myhostname
};

struct ReportRow {
  std::string sourceIp;
  long count = 0;
  std::string disposition;  // what was applied: none, quarantine, reject
  std::string dkimAligned;  // pass, fail
  std::string spfAligned;   // pass, fail
  std::string reason;       // "", local_policy, sampled_out
  std::string envelopeFrom, headerFrom;
  struct Dkim {
    std::string domain, selector, result;
  };
  std::vector<Dkim> dkim;
  std::string spfDomain, spfScope, spfResult;
};

struct AggregateReport {
  std::string policyDomain;
  std::string record;                 // the DMARC record as last seen
  std::vector<std::string> rua;       // mailto: addresses (without "mailto:" and "!size")
  std::vector<long long> ruaLimits;   // the "!size" of each, bytes; 0 = none
  std::string p, sp, adkim, aspf, fo;
  int pct = 100;
  std::time_t begin = 0, end = 0;     // the UTC day, seconds
  std::string reportId;
  ReporterInfo reporter;
  std::vector<ReportRow> rows;
  long messages() const;
};

// Lines that do not parse are skipped and counted in *skipped.
std::vector<AggregateReport> buildAggregateReports(const std::vector<std::string>& historyLines, std::time_t dayStart,
                                                   const ReporterInfo& reporter, int* skipped);

std::string aggregateReportXml(const AggregateReport& report);

// RFC 7489 7.2.1.1: receiver!policy-domain!begin!end.xml.gz
std::string aggregateReportFileName(const AggregateReport& report);



}  // namespace posthorn::tools
