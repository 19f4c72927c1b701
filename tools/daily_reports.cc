// daily_reports - day files, their reports' mailing and the .reported mark
#include "tools/daily_reports.h"

#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

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

}  // namespace

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

std::string today() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char text[16];
  std::strftime(text, sizeof text, "%Y%m%d", &tm);
  return text;
}

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

}  // namespace posthorn::tools
