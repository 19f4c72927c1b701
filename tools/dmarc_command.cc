// dmarc_command - send our aggregate reports; summarise the ones we get
#include "tools/dmarc_command.h"

#include <signal.h>
#include <unistd.h>

#include <ctime>

#include "lib/config/config.h"
#include "lib/dns/dns_config.h"
#include "lib/dns/dns_resolver.h"
#include "lib/mailauth/dmarc_check.h"
#include "lib/util/ascii.h"
#include "tools/command.h"
#include "tools/daily_reports.h"
#include "tools/dmarc_aggregate.h"
#include "tools/dmarc_summary.h"
#include "tools/gzip.h"

namespace posthorn::tools {
namespace {

constexpr Command kDmarc{"posthorn dmarc",
                         "usage: posthorn dmarc send [-c DIR] [-d YYYYMMDD] [-n] [-o DIR]\n"
                         "       posthorn dmarc report FILE..."};

struct Options {
  ReportOptions report;
  bool send = false;
  std::vector<std::string> files;
};

Options parseOptions(const std::vector<std::string>& args) {
  Options o;
  ArgCursor arg(args);
  while (arg.next())
    if (!reportOption(arg, &o.report)) arg.unknown();
  auto operands = arg.operands();
  if (operands.empty()) throw UsageError("missing subcommand (send, report)");
  if (operands[0] == "send") {
    if (operands.size() > 1) throw UsageError("send takes no operands");
    o.send = true;
  } else if (operands[0] == "report") {
    if (!o.report.day.empty() || !o.report.outDir.empty() || o.report.dryRun)
      throw UsageError("report takes only files");
    o.files.assign(operands.begin() + 1, operands.end());
    if (o.files.empty()) throw UsageError("report needs the files of the reports");
  } else {
    throw UsageError("unknown subcommand \"" + operands[0] + "\" (known: send, report)");
  }
  return o;
}

std::string reportMessage(const AggregateReport& r, const std::string& to, const std::string& gz) {
  return reportMail({.from = r.reporter.email, .to = to, .policyDomain = r.policyDomain,
                     .submitter = r.reporter.orgName, .reportId = r.reportId, .headers = "",
                     .multipart = "multipart/mixed",
                     .text = "DMARC aggregate report for " + r.policyDomain + ", " + utcText(r.begin, "%Y-%m-%d") +
                             " (UTC), from " + r.reporter.receiver + ": " + std::to_string(r.messages()) +
                             " messages.\n",
                     .attachmentType = "application/gzip",
                     .fileName = aggregateReportFileName(r),
                     .attachment = gz,
                     .begin = r.begin});
}

// RFC 7489 7.1: an address outside the policy domain's organizational
// domain gets reports only when its domain publishes
// <policy domain>._report._dmarc.<its domain> with v=DMARC1. A DNS failure
// sets *temporary: the report is not refused, only not sent yet.
bool mayReceive(dns::Resolver& resolver, const mailauth::DmarcChecker& dmarc, const std::string& policyDomain,
                const std::string& address, std::string* why, bool* temporary) {
  *temporary = false;
  const std::string target = domainOf(address);
  if (dmarc.organizationalDomain(target) == dmarc.organizationalDomain(policyDomain)) return true;
  const std::string name = policyDomain + "._report._dmarc." + target;
  const dns::TextResult t = resolver.lookupTxt(name);
  if (t.status == dns::Status::TempFail) {
    *why = "cannot look up " + name + ": " + t.error;
    *temporary = true;
    return false;
  }
  for (const auto& v : t.values)
    if (util::startsWithIgnoreCase(v, "v=DMARC1")) return true;
  *why = target + " does not accept reports for " + policyDomain + " (no " + name + " record)";
  return false;
}

int send(const ReportOptions& o, std::ostream& out, std::ostream& err) {
  // A sendmail that exits before reading the whole report must be a
  // failure of that report (EPIPE), not the death of the command.
  ::signal(SIGPIPE, SIG_IGN);
  const config::Config cfg = config::Config::load(configDirectory(o.configDir));
  const std::string dir = cfg.get("queue_directory") + "/dmarc";
  ReporterInfo reporter{util::lower(cfg.get("mydomain")), cfg.get("dmarc_report_address"),
                        util::lower(cfg.get("myhostname"))};
  const Mailer mailer{cfg, reporter.email, o.dryRun, std::string(kDmarc.name)};
  dns::Resolver resolver(dns::ResolverConfig::fromConfig(cfg));
  const mailauth::DmarcChecker dmarc(resolver, cfg.get("dmarc_public_suffix_list"));
  return reportDays(dir, o, kDmarc.name, "evaluations", out, err,
                    [&](ReportDay& reportDay, const std::vector<std::string>& lines, int* skipped) {
    const std::string& day = reportDay.day();
    const auto reports = buildAggregateReports(lines, dayStart(day), reporter, skipped);
    bool dayFailed = false;
    for (const AggregateReport& r : reports) {
      out << day << " " << r.policyDomain << ": " << r.messages() << " messages in " << r.rows.size() << " rows";
      if (r.rua.empty()) {
        out << ", no rua= address: not reported\n";
        continue;
      }
      out << "\n";
      const std::string gz = gzipCompress(aggregateReportXml(r));
      if (!o.outDir.empty()) out << "  wrote " << writeReportFile(o.outDir, aggregateReportFileName(r), gz) << "\n";
      for (std::size_t i = 0; i < r.rua.size(); ++i) {
        const std::string& to = r.rua[i];
        std::string why;
        bool temporary = false;
        if (r.ruaLimits[i] > 0 && static_cast<long long>(gz.size()) > r.ruaLimits[i]) {
          out << "  " << to << ": not sent, " << gz.size() << " bytes is over its limit of " << r.ruaLimits[i] << "\n";
        } else if (!mayReceive(resolver, dmarc, r.policyDomain, to, &why, &temporary)) {
          if (temporary) {  // the day stays unreported, to be checked again
            err << kDmarc.name << ": " << to << ": " << why << "\n";
            dayFailed = true;
          } else {
            out << "  " << to << ": not sent, " << why << "\n";
          }
        } else if (!reportDay.deliver(mailer, r.policyDomain, to, reportMessage(r, to, gz), out, err)) {
          dayFailed = true;
        }
      }
    }
    return !dayFailed;
  });
}

}  // namespace

int runDmarc(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  return kDmarc.run(err, [&] {
    const Options o = parseOptions(args);
    return o.send ? send(o.report, out, err) : summarizeReports(o.files, out, err);
  });
}

}  // namespace posthorn::tools
