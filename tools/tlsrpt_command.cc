// tlsrpt_command - send our SMTP TLS reports
#include "tools/tlsrpt_command.h"

#include <signal.h>

#include <ctime>

#include "lib/config/config.h"
#include "lib/dns/dns_config.h"
#include "lib/dns/dns_resolver.h"
#include "lib/util/ascii.h"
#include "tools/command.h"
#include "tools/daily_reports.h"
#include "tools/gzip.h"
#include "tools/tls_report.h"

namespace posthorn::tools {
namespace {

constexpr Command kTlsRpt{"posthorn tlsrpt", "usage: posthorn tlsrpt send [-c DIR] [-d YYYYMMDD] [-n] [-o DIR]"};

ReportOptions parseOptions(const std::vector<std::string>& args) {
  ReportOptions o;
  ArgCursor arg(args);
  while (arg.next())
    if (!reportOption(arg, &o)) arg.unknown();
  const auto operands = arg.operands();
  if (operands.empty()) throw UsageError("missing subcommand (send)");
  if (operands[0] != "send") throw UsageError("unknown subcommand \"" + operands[0] + "\" (known: send)");
  if (operands.size() > 1) throw UsageError("send takes no operands");
  return o;
}

// RFC 8460 5.3: multipart/report; report-type="tlsrpt", a text part and
// the gzipped JSON as application/tlsrpt+gzip named as 5.1 says.
std::string reportMessage(const TlsReport& r, const std::string& to, const std::string& gz) {
  const std::string& submitter = r.submitter.orgName;
  return reportMail({.from = r.submitter.contact, .to = to, .policyDomain = r.policyDomain, .submitter = submitter,
                     .reportId = r.reportId,
                     .headers = "TLS-Report-Domain: " + r.policyDomain + "\nTLS-Report-Submitter: " + submitter + "\n",
                     .multipart = "multipart/report; report-type=\"tlsrpt\"",
                     .text = "SMTP TLS report (RFC 8460) for " + r.policyDomain + ", " + utcText(r.begin, "%Y-%m-%d") +
                             " (UTC), from " + submitter + ": " + std::to_string(r.successes()) + " successful and " +
                             std::to_string(r.failures()) + " failed sessions.\n",
                     .attachmentType = "application/tlsrpt+gzip",
                     .fileName = tlsReportFileName(r),
                     .attachment = gz,
                     .begin = r.begin});
}

int send(const ReportOptions& o, std::ostream& out, std::ostream& err) {
  // A sendmail that exits before reading the whole report must be a
  // failure of that report (EPIPE), not the death of the command.
  ::signal(SIGPIPE, SIG_IGN);
  const config::Config cfg = config::Config::load(configDirectory(o.configDir));
  const std::string dir = cfg.get("queue_directory") + "/tls-rpt";
  const TlsSubmitter submitter{util::lower(cfg.get("mydomain")), cfg.get("dmarc_report_address"),
                               util::lower(cfg.get("myhostname"))};
  const Mailer mailer{cfg, submitter.contact, o.dryRun, std::string(kTlsRpt.name)};
  dns::Resolver resolver(dns::ResolverConfig::fromConfig(cfg));
  return reportDays(dir, o, kTlsRpt.name, "TLS sessions", out, err,
                    [&](ReportDay& reportDay, const std::vector<std::string>& lines, int* skipped) {
    const std::string& day = reportDay.day();
    const auto reports = buildTlsReports(lines, dayStart(day), submitter, skipped);
    bool dayFailed = false;
    for (const TlsReport& r : reports) {
      out << day << " " << r.policyDomain << ": " << r.successes() << " successful, " << r.failures()
          << " failed sessions";
      const std::string name = "_smtp._tls." + r.policyDomain;
      const dns::TextResult txt = resolver.lookupTxt(name);
      if (txt.status == dns::Status::TempFail) {  // the day stays unreported, to be looked up again
        out << "\n";
        err << kTlsRpt.name << ": cannot look up " << name << ": " << txt.error << "\n";
        dayFailed = true;
        continue;
      }
      std::vector<std::string> others;
      const std::string rua = txt.status == dns::Status::Ok ? tlsRptRua(txt.values) : "";
      const auto addresses = mailtoAddresses(rua, &others);
      if (rua.empty()) {
        out << ", no TLS-RPT record (" << name << "): not reported\n";
        continue;
      }
      out << "\n";
      const std::string gz = gzipCompress(tlsReportJson(r));
      if (!o.outDir.empty()) out << "  wrote " << writeReportFile(o.outDir, tlsReportFileName(r), gz) << "\n";
      for (const std::string& uri : others)
        out << "  " << uri << ": not sent, only mailto: is supported\n";
      for (const ReportUri& to : addresses)
        if (!reportDay.deliver(mailer, r.policyDomain, to.address, reportMessage(r, to.address, gz), out, err))
          dayFailed = true;
    }
    return !dayFailed;
  });
}

}  // namespace

int runTlsRpt(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  return kTlsRpt.run(err, [&] { return send(parseOptions(args), out, err); });
}

}  // namespace posthorn::tools
