// daily_reports - day files, their reports' mailing and the .reported mark
#include "tools/daily_reports.h"

#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>

#include "lib/proto/passdb_client.h"
#include "lib/util/ascii.h"

namespace posthorn::tools {
namespace {

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

// %XX escapes of a URI (RFC 3986); nullopt for a broken one.
std::optional<std::string> percentDecoded(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(s[i + 2])))
      return std::nullopt;
    out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
    i += 2;
  }
  return out;
}

// A plain addr-spec: a dot-atom local part and a DNS name. Anything else
// (angle brackets, spaces, control characters, quotes, a second '@') is
// refused: the address goes on sendmail's command line and into To:, and
// the DNS record it came from is the sender's to write.
bool plainAddress(const std::string& a) {
  const auto at = a.rfind('@');
  if (at == std::string::npos || at == 0 || at + 1 >= a.size() || a.size() > 254) return false;
  const std::string local = a.substr(0, at), domain = a.substr(at + 1);
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string::npos) return false;
  for (char c : local)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || std::strchr("!#$%&'*+/=?^_`{|}~.-", c) != nullptr))
      return false;
  return isDnsName(domain);
}

}  // namespace

std::vector<ReportUri> mailtoAddresses(const std::string& rua, std::vector<std::string>* others) {
  std::vector<ReportUri> out;
  std::size_t pos = 0;
  while (pos <= rua.size()) {
    const auto end = std::min(rua.find(',', pos), rua.size());
    std::string uri = rua.substr(pos, end - pos);
    pos = end + 1;
    while (!uri.empty() && (uri.front() == ' ' || uri.front() == '\t')) uri.erase(0, 1);
    while (!uri.empty() && (uri.back() == ' ' || uri.back() == '\t')) uri.pop_back();
    if (!util::startsWithIgnoreCase(uri, "mailto:")) {  // only mail is sent
      if (others != nullptr && !uri.empty()) others->push_back(uri);
      continue;
    }
    uri.erase(0, 7);
    long long limit = 0;
    if (const auto bang = uri.find('!'); bang != std::string::npos) {
      const std::string size = uri.substr(bang + 1);
      uri.erase(bang);
      char* unit = nullptr;
      limit = std::strtoll(size.c_str(), &unit, 10);
      int shift = 0;
      switch (unit != nullptr ? util::asciiLower(*unit) : '\0') {
        case 'k': shift = 10; break;
        case 'm': shift = 20; break;
        case 'g': shift = 30; break;
        case 't': shift = 40; break;
        default: break;
      }
      // Nonsense (negative, or beyond any mail) is no limit.
      limit = limit <= 0 || limit > (1ll << 20) ? 0 : limit << shift;
    }
    const auto address = percentDecoded(uri);
    if (!address || !plainAddress(*address)) continue;
    out.push_back({util::lower(*address), limit});
  }
  return out;
}

bool isDnsName(const std::string& name) {
  if (name.empty() || name.size() > 253 || name.find('.') == std::string::npos) return false;
  std::size_t start = 0;
  for (;;) {
    const auto dot = name.find('.', start);
    const std::string_view label = std::string_view(name).substr(start, dot == std::string::npos ? dot : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (char c : label)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) return false;
    if (dot == std::string::npos) return true;
    start = dot + 1;
  }
}

bool reportOption(ArgCursor& arg, ReportOptions* o) {
  switch (arg.option()) {
    case 'c': o->configDir = arg.value("a directory"); return true;
    case 'd':
      o->day = arg.value("a day");
      if (!isDay(o->day)) throw UsageError("-d takes a day as YYYYMMDD, not \"" + o->day + "\"");
      // The daemons still write today's file: a report of it would be
      // partial and a second one, later, would repeat its report ID.
      if (o->day >= today()) throw UsageError("-d " + o->day + ": the day is not over yet (UTC)");
      return true;
    case 'o': o->outDir = arg.value("a directory"); return true;
    case 'n':
      arg.alone();
      o->dryRun = true;
      return true;
    default: return false;
  }
}

bool isDay(const std::string& s) {
  return s.size() == 8 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string today() { return utcText(std::time(nullptr), "%Y%m%d"); }

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

std::string base64Lines(const std::string& data) {
  const std::string base64 = passdb::encodeBase64(data);
  std::string out;
  for (std::size_t i = 0; i < base64.size(); i += 76) out += base64.substr(i, 76) + "\n";
  return out;
}

std::string reportMail(const ReportMail& m) {
  const std::string boundary = "=_posthorn_report_" + std::to_string(static_cast<long long>(m.begin));
  return "From: " + m.from + "\nTo: " + m.to + "\nSubject: Report Domain: " + m.policyDomain +
         " Submitter: " + m.submitter + " Report-ID: <" + m.reportId + ">\n" + m.headers + "MIME-Version: 1.0\n" +
         "Content-Type: " + m.multipart + "; boundary=\"" + boundary + "\"\n\n--" + boundary +
         "\nContent-Type: text/plain; charset=us-ascii\n\n" + m.text + "\n--" + boundary +
         "\nContent-Type: " + m.attachmentType + "; name=\"" + m.fileName +
         "\"\nContent-Disposition: attachment; filename=\"" + m.fileName +
         "\"\nContent-Transfer-Encoding: base64\n\n" + base64Lines(m.attachment) + "--" + boundary + "--\n";
}

std::string utcText(std::time_t time, const char* format) {
  std::tm tm{};
  ::gmtime_r(&time, &tm);
  char text[64];
  return std::strftime(text, sizeof text, format, &tm) > 0 ? text : "";
}

std::string domainOf(const std::string& address) {
  const auto at = address.rfind('@');
  return util::lower(at == std::string::npos ? "" : address.substr(at + 1));
}

std::string writeReportFile(const std::string& dir, const std::string& name, const std::string& data) {
  const std::string path = dir + "/" + name;
  std::ofstream f(path, std::ios::binary);
  f << data;
  if (!f.flush()) throw std::runtime_error("cannot write " + path);
  return path;
}

ReportDay::ReportDay(std::string dir, std::string file)
    : dir_(std::move(dir)), file_(std::move(file)), day_(file_.substr(0, 8)), sentPath_(dir_ + "/" + day_ + ".sent") {
  // What already went out of this day (a run that failed half-way): never
  // sent twice. DAY.reported again (-d) sends everything.
  if (file_ != day_) return;
  std::ifstream in(sentPath_);
  for (std::string line; std::getline(in, line);) sent_.push_back(line);
}

bool ReportDay::deliver(const Mailer& mailer, const std::string& domain, const std::string& to,
                        const std::string& message, std::ostream& out, std::ostream& err) {
  const std::string key = domain + " " + to;
  if (mailer.dryRun) {
    out << "  " << to << ": would be sent (-n)\n";
    return true;
  }
  if (std::find(sent_.begin(), sent_.end(), key) != sent_.end()) {
    out << "  " << to << ": sent before\n";
    return true;
  }
  std::string why;
  bool permanent = false;
  const bool ok = sendMessage(mailer.config, mailer.sender, to, message, &why, &permanent);
  if (!ok && !permanent) {
    err << mailer.command << ": " << to << ": " << why << "\n";
    return false;
  }
  out << "  " << to << (ok ? ": sent\n" : ": not sent, " + why + " (given up)\n");
  std::ofstream(sentPath_, std::ios::app) << key << "\n";
  sent_.push_back(key);
  return true;
}

void ReportDay::finish(bool dryRun) {
  if (dryRun || file_ != day_) return;
  if (::rename((dir_ + "/" + day_).c_str(), (dir_ + "/" + day_ + ".reported").c_str()) != 0)
    throw std::runtime_error("cannot rename " + dir_ + "/" + day_ + ": " + std::strerror(errno));
  ::unlink(sentPath_.c_str());
}

int reportDays(const std::string& dir, const ReportOptions& o, std::string_view command, std::string_view what,
               std::ostream& out, std::ostream& err, const DayReporter& report) {
  int failures = 0;
  const auto days = daysToReport(dir, o.day);
  if (days.empty()) out << command << ": no " << what << " to report in " << dir << "\n";
  for (const std::string& file : days) {
    ReportDay day(dir, file);
    int skipped = 0;
    const bool done = report(day, readLines(dir + "/" + file), &skipped);
    if (skipped > 0) err << command << ": " << dir << "/" << file << ": " << skipped << " lines skipped\n";
    if (!done) {
      ++failures;
      continue;  // the day stays unreported, to be sent again
    }
    day.finish(o.dryRun);
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace posthorn::tools
