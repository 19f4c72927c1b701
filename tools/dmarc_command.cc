// dmarc_command - send our aggregate reports; summarise the ones we get
#include "tools/dmarc_command.h"

#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <set>
#include <sstream>

#include "lib/config/config.h"
#include "lib/dns/dns_config.h"
#include "lib/dns/dns_resolver.h"
#include "lib/mailauth/dmarc_check.h"
#include "lib/proto/passdb_client.h"
#include "lib/util/ascii.h"
#include "tools/command.h"
#include "tools/dmarc_aggregate.h"
#include "tools/dmarc_summary.h"
#include "tools/gzip.h"

namespace posthorn::tools {
namespace {

constexpr Command kDmarc{"posthorn dmarc",
                         "usage: posthorn dmarc send [-c DIR] [-d YYYYMMDD] [-n] [-o DIR]\n"
                         "       posthorn dmarc report FILE..."};

struct Options {
  std::string configDir, day, outDir;
  bool dryRun = false;
  bool send = false;
  std::vector<std::string> files;
};

bool isDay(const std::string& s) {
  return s.size() == 8 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string today() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char text[16];
  std::strftime(text, sizeof text, "%Y%m%d", &tm);
  return text;
}

Options parseOptions(const std::vector<std::string>& args) {
  Options o;
  ArgCursor arg(args);
  while (arg.next()) {
    switch (arg.option()) {
      case 'c': o.configDir = arg.value("a directory"); break;
      case 'd':
        o.day = arg.value("a day");
        if (!isDay(o.day)) throw UsageError("-d takes a day as YYYYMMDD, not \"" + o.day + "\"");
        // smtpd still writes today's file: a report of it would be partial
        // and a second one, later, would repeat its report ID.
        if (o.day >= today()) throw UsageError("-d " + o.day + ": the day is not over yet (UTC)");
        break;
      case 'o': o.outDir = arg.value("a directory"); break;
      case 'n':
        arg.alone();
        o.dryRun = true;
        break;
      default: arg.unknown();
    }
  }
  auto operands = arg.operands();
  if (operands.empty()) throw UsageError("missing subcommand (send, report)");
  if (operands[0] == "send") {
    if (operands.size() > 1) throw UsageError("send takes no operands");
    o.send = true;
  } else if (operands[0] == "report") {
    if (!o.day.empty() || !o.outDir.empty() || o.dryRun) throw UsageError("report takes only files");
    o.files.assign(operands.begin() + 1, operands.end());
    if (o.files.empty()) throw UsageError("report needs the files of the reports");
  } else {
    throw UsageError("unknown subcommand \"" + operands[0] + "\" (known: send, report)");
  }
  return o;
}

// 00:00:00 UTC of YYYYMMDD.
std::time_t dayStart(const std::string& day) {
  std::tm tm{};
  tm.tm_year = std::stoi(day.substr(0, 4)) - 1900;
  tm.tm_mon = std::stoi(day.substr(4, 2)) - 1;
  tm.tm_mday = std::stoi(day.substr(6, 2));
  return ::timegm(&tm);
}


std::vector<std::string> readLines(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw std::runtime_error("cannot read " + path + ": " + std::strerror(errno));
  std::vector<std::string> lines;
  for (std::string line; std::getline(f, line);) lines.push_back(line);
  return lines;
}

// The history files to report: the one day asked for (DAY, or
// DAY.reported to report it again), or every unreported day before today.
std::vector<std::string> daysToReport(const std::string& dir, const std::string& day) {
  std::vector<std::string> out;
  if (!day.empty()) {
    if (::access((dir + "/" + day).c_str(), F_OK) == 0) out.push_back(day);
    else if (::access((dir + "/" + day + ".reported").c_str(), F_OK) == 0) out.push_back(day + ".reported");
    return out;
  }
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return out;
    throw std::runtime_error("cannot read " + dir + ": " + std::strerror(errno));
  }
  const std::string now = today();
  while (const dirent* e = ::readdir(d))
    if (isDay(e->d_name) && std::string(e->d_name) < now) out.push_back(e->d_name);
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

std::string wrapped(const std::string& base64) {
  std::string out;
  for (std::size_t i = 0; i < base64.size(); i += 76) out += base64.substr(i, 76) + "\n";
  return out;
}

std::string reportMessage(const AggregateReport& r, const std::string& to, const std::string& gz) {
  const std::string file = aggregateReportFileName(r);
  const std::string boundary = "=_posthorn_dmarc_" + std::to_string(static_cast<long long>(r.begin));
  char day[16];
  std::tm tm{};
  ::gmtime_r(&r.begin, &tm);
  std::strftime(day, sizeof day, "%Y-%m-%d", &tm);
  return "From: " + r.reporter.email + "\nTo: " + to + "\nSubject: Report Domain: " + r.policyDomain +
         " Submitter: " + r.reporter.orgName + " Report-ID: <" + r.reportId + ">\nMIME-Version: 1.0\n" +
         "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\n\n--" + boundary +
         "\nContent-Type: text/plain; charset=us-ascii\n\nDMARC aggregate report for " + r.policyDomain + ", " + day +
         " (UTC), from " + r.reporter.receiver + ": " + std::to_string(r.messages()) + " messages.\n\n--" + boundary +
         "\nContent-Type: application/gzip; name=\"" + file + "\"\nContent-Disposition: attachment; filename=\"" +
         file + "\"\nContent-Transfer-Encoding: base64\n\n" + wrapped(passdb::encodeBase64(gz)) + "--" + boundary +
         "--\n";
}

// sendmail(1) from command_directory: the report goes through pickup and
// cleanup like any local mail, and is DKIM-signed there.
bool sendMessage(const config::Config& cfg, const std::string& sender, const std::string& to,
                 const std::string& message, std::string* why, bool* permanent) {
  const std::string sendmail = cfg.get("command_directory") + "/sendmail";
  int pipefd[2];
  if (::pipe(pipefd) != 0) {
    *why = std::string("pipe: ") + std::strerror(errno);
    return false;
  }
  const std::string configDir = cfg.configDir();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(pipefd[0], 0);
    ::close(pipefd[0]);
    ::close(pipefd[1]);
    ::execl(sendmail.c_str(), "sendmail", "-C", configDir.c_str(), "-i", "-f", sender.c_str(), "--", to.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(pipefd[0]);
  if (pid < 0) {
    ::close(pipefd[1]);
    *why = std::string("fork: ") + std::strerror(errno);
    return false;
  }
  std::size_t done = 0;
  while (done < message.size()) {
    const ssize_t n = ::write(pipefd[1], message.data() + done, message.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  ::close(pipefd[1]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (done == message.size() && WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
  // EX_USAGE, EX_DATAERR, EX_NOUSER: this address will never be taken.
  *permanent = WIFEXITED(status) && (WEXITSTATUS(status) == 64 || WEXITSTATUS(status) == 65 ||
                                     WEXITSTATUS(status) == 67);
  *why = sendmail + " failed (" +
         (WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status)) : std::string("killed")) + ")";
  return false;
}

std::string domainOf(const std::string& address) {
  const auto at = address.rfind('@');
  return util::lower(at == std::string::npos ? "" : address.substr(at + 1));
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

int send(const Options& o, std::ostream& out, std::ostream& err) {
  // A sendmail that exits before reading the whole report must be a
  // failure of that report (EPIPE), not the death of the command.
  ::signal(SIGPIPE, SIG_IGN);
  const config::Config cfg = config::Config::load(configDirectory(o.configDir));
  const std::string dir = cfg.get("queue_directory") + "/dmarc";
  ReporterInfo reporter{util::lower(cfg.get("mydomain")), cfg.get("dmarc_report_address"),
                        util::lower(cfg.get("myhostname"))};
  dns::Resolver resolver(dns::ResolverConfig::fromConfig(cfg));
  const mailauth::DmarcChecker dmarc(resolver, cfg.get("dmarc_public_suffix_list"));
  int failures = 0;
  const auto days = daysToReport(dir, o.day);
  if (days.empty()) out << kDmarc.name << ": no evaluations to report in " << dir << "\n";
  for (const std::string& file : days) {
    const std::string day = file.substr(0, 8);
    // What already went out of this day (a run that failed half-way):
    // never sent twice. DAY.reported again (-d) sends everything.
    const std::string sentPath = dir + "/" + day + ".sent";
    std::set<std::string> sent;
    if (file == day) {
      std::ifstream in(sentPath);
      for (std::string line; std::getline(in, line);) sent.insert(line);
    }
    int skipped = 0;
    const auto reports = buildAggregateReports(readLines(dir + "/" + file), dayStart(day), reporter, &skipped);
    if (skipped > 0) err << kDmarc.name << ": " << dir << "/" << file << ": " << skipped << " lines skipped\n";
    bool dayFailed = false;
    for (const AggregateReport& r : reports) {
      out << day << " " << r.policyDomain << ": " << r.messages() << " messages in " << r.rows.size() << " rows";
      if (r.rua.empty()) {
        out << ", no rua= address: not reported\n";
        continue;
      }
      out << "\n";
      const std::string gz = gzipCompress(aggregateReportXml(r));
      if (!o.outDir.empty()) {
        const std::string path = o.outDir + "/" + aggregateReportFileName(r);
        std::ofstream f(path, std::ios::binary);
        f << gz;
        if (!f.flush()) throw std::runtime_error("cannot write " + path);
        out << "  wrote " << path << "\n";
      }
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
        } else if (o.dryRun) {
          out << "  " << to << ": would be sent (-n)\n";
        } else if (sent.count(r.policyDomain + " " + to) != 0) {
          out << "  " << to << ": sent before\n";
        } else {
          bool permanent = false;
          const bool ok = sendMessage(cfg, reporter.email, to, reportMessage(r, to, gz), &why, &permanent);
          if (ok || permanent) {
            out << "  " << to << (ok ? ": sent\n" : ": not sent, " + why + " (given up)\n");
            std::ofstream(sentPath, std::ios::app) << r.policyDomain << " " << to << "\n";
          } else {
            err << kDmarc.name << ": " << to << ": " << why << "\n";
            dayFailed = true;
          }
        }
      }
    }
    if (dayFailed) {
      ++failures;
      continue;  // the day stays unreported, to be sent again
    }
    if (!o.dryRun && file == day) {
      if (::rename((dir + "/" + day).c_str(), (dir + "/" + day + ".reported").c_str()) != 0)
        throw std::runtime_error("cannot rename " + dir + "/" + day + ": " + std::strerror(errno));
      ::unlink(sentPath.c_str());
    }
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace

int runDmarc(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  return kDmarc.run(err, [&] {
    const Options o = parseOptions(args);
    return o.send ? send(o, out, err) : summarizeReports(o.files, out, err);
  });
}

}  // namespace posthorn::tools
