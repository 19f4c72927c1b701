// queue_command - `posthorn queue` (see queue_command.h)
#include "tools/queue_command.h"

#include <dirent.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <exception>
#include <iostream>
#include <optional>
#include <stdexcept>

#include "lib/config/config.h"
#include "lib/queue/queue_dirs.h"
#include "lib/queue/queue_error.h"
#include "lib/queue/queue_file.h"
#include "lib/queue/queue_id.h"
#include "lib/queue/queue_listing.h"
#include "tools/command.h"

namespace posthorn::tools {

namespace {

// Usage and configuration errors are fatal; a failed action is not (exit 1).
constexpr Command kQueue{"posthorn: fatal",
                         "usage: posthorn queue [-c DIR] list\n"
                         "       posthorn queue [-c DIR] show ID\n"
                         "       posthorn queue [-c DIR] flush\n"
                         "       posthorn queue [-c DIR] hold ID...|ALL\n"
                         "       posthorn queue [-c DIR] release ID...|ALL\n"
                         "       posthorn queue [-c DIR] delete ID...|ALL",
                         2, 2};

using queue::QueueDir;

// Where queued messages may be, in the order a message moves through them.
constexpr QueueDir kQueued[] = {QueueDir::Incoming, QueueDir::Active, QueueDir::Deferred,
                                QueueDir::Hold};

struct Context {
  std::string queueDir;
  std::ostream& out;
  std::ostream& err;
};

std::string clean(const std::string& text) {
  std::string s;
  for (unsigned char c : text) s += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
  return s;
}

std::string timeText(std::time_t t) {
  if (t == 0) return "-";
  struct tm tm {};
  ::localtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S %z", &tm);
  return buf;
}

std::time_t toTimeT(queue::Time t) {
  return std::chrono::system_clock::to_time_t(
      std::chrono::time_point_cast<std::chrono::seconds>(t));
}

std::optional<QueueDir> locate(const Context& ctx, const queue::QueueId& id) {
  for (QueueDir d : kQueued)
    if (::access(queue::queueFilePath(ctx.queueDir, d, id).c_str(), F_OK) == 0) return d;
  return std::nullopt;
}

std::vector<std::string> allIds(const Context& ctx, QueueDir dir) {
  std::vector<std::string> ids;
  const std::string path = queue::queueDirPath(ctx.queueDir, dir);
  if (auto* d = ::opendir(path.c_str())) {
    while (const dirent* e = ::readdir(d))
      if (queue::QueueId::isValid(e->d_name)) ids.emplace_back(e->d_name);
    ::closedir(d);
  }
  return ids;
}

// Asks qmgr for a deferred-queue run now ('F'; 'W' only scans incoming/).
void triggerQmgr(const Context& ctx) {
  const std::string path = queue::queueDirPath(ctx.queueDir, QueueDir::Public) + "/qmgr";
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    ::close(fd);
    return;
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const char flush = 'F';
    (void)::send(fd, &flush, 1, MSG_NOSIGNAL);
  } else {
    ctx.err << "posthorn: warning: qmgr not reached (" << path << ": " << std::strerror(errno)
            << "); it will see the queue at its next run\n";
  }
  ::close(fd);
}

// Every recipient still to do is due now; the file's mtime says so too.
bool makeDue(const Context& ctx, const std::string& path, const std::string& id) {
  try {
    queue::QueueFile file(path);
    std::vector<queue::QueueFile::Change> changes;
    for (std::size_t i = 0; i < file.recipientCount(); ++i) {
      const auto& r = file.recipient(i);
      if (r.status.done() || r.status.nextRetry == std::chrono::sys_seconds{}) continue;
      queue::QueueFile::Change c;
      c.index = i;
      c.status = r.status;
      c.status.nextRetry = std::chrono::sys_seconds{};
      changes.push_back(c);
    }
    if (!changes.empty()) file.apply(changes);
  } catch (const queue::QueueFileError& e) {
    ctx.err << "posthorn: " << id << ": " << e.what() << "\n";
    return false;
  }
  ::utimes(path.c_str(), nullptr);
  return true;
}

int list(const Context& ctx) {
  std::vector<std::string> problems;
  ctx.out << queue::formatListing(queue::scanQueue(ctx.queueDir, &problems));
  for (const auto& p : problems) ctx.err << "posthorn: warning: " << p << "\n";
  return 0;
}

int show(const Context& ctx, const std::string& idText) {
  const auto id = queue::QueueId::parse(idText);
  if (!id) throw UsageError("not a queue ID: \"" + clean(idText) + "\"");
  const auto dir = locate(ctx, *id);
  if (!dir) {
    ctx.err << "posthorn: " << idText << ": no such message in the queue\n";
    return 1;
  }
  const std::string path = queue::queueFilePath(ctx.queueDir, *dir, *id);
  queue::QueueFileReader reader(path);
  const queue::Envelope& env = reader.envelope();
  std::ostream& o = ctx.out;
  o << "Queue-ID: " << idText << "\n";
  o << "Queue: " << queue::queueDirName(*dir) << "\n";
  o << "Size: " << reader.contentLength() << "\n";
  o << "Arrival: " << timeText(toTimeT(env.arrival)) << "\n";
  o << "Sender: <" << clean(env.sender) << ">\n";
  if (!env.envid.empty()) o << "Envelope-ID: " << clean(env.envid) << "\n";
  if (env.ret != queue::Ret::Unspecified)
    o << "Return: " << (env.ret == queue::Ret::Full ? "FULL" : "HDRS") << "\n";
  if (!env.client.address.empty())
    o << "Client: " << clean(env.client.name) << "[" << clean(env.client.address) << "]"
      << (env.client.helo.empty() ? "" : " helo=" + clean(env.client.helo)) << "\n";
  if (!env.client.protocol.empty()) o << "Protocol: " << clean(env.client.protocol) << "\n";
  for (std::size_t i = 0; i < env.recipients.size(); ++i) {
    const queue::Recipient& r = env.recipients[i];
    o << "Recipient " << i << ": <" << clean(r.address) << ">\n";
    if (!r.originalAddress.empty() && r.originalAddress != r.address)
      o << "  Original: <" << clean(r.originalAddress) << ">\n";
    if (!r.orcpt.empty()) o << "  ORCPT: " << clean(r.orcpt) << "\n";
    if (r.notify != 0) {
      std::string n;
      if (r.notify & queue::notify::kNever) n += ",NEVER";
      if (r.notify & queue::notify::kSuccess) n += ",SUCCESS";
      if (r.notify & queue::notify::kFailure) n += ",FAILURE";
      if (r.notify & queue::notify::kDelay) n += ",DELAY";
      o << "  Notify: " << n.substr(1) << "\n";
    }
    o << "  Status: " << queue::recipientStateName(r.status.state) << ", attempts "
      << r.status.attempts;
    if (!r.status.done() && r.status.nextRetry != std::chrono::sys_seconds{})
      o << ", next attempt "
        << timeText(static_cast<std::time_t>(r.status.nextRetry.time_since_epoch().count()));
    if (r.status.delayWarned) o << ", delay warning sent";
    o << "\n";
    if (!r.report.empty()) {
      o << "  Last: " << clean(r.report.dsnStatus);
      if (!r.report.remoteMta.empty()) o << " (" << clean(r.report.remoteMta) << ")";
      o << " " << clean(r.report.diagnostic);
      if (r.report.time != queue::Time{}) o << " at " << timeText(toTimeT(r.report.time));
      o << "\n";
    }
  }
  // The header section, as stored.
  o << "\n";
  queue::ContentReader content = reader.content();
  std::string headers;
  char buf[8192];
  bool atLineStart = true, done = false;
  while (!done) {
    const std::size_t n = content.read(buf, sizeof buf);
    if (n == 0) break;
    for (std::size_t i = 0; i < n; ++i) {
      if (buf[i] == '\n' && atLineStart) {
        done = true;
        break;
      }
      atLineStart = buf[i] == '\n';
      headers += buf[i];
    }
  }
  for (char& c : headers)
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') || c == 0x7f) c = '?';
  o << headers;
  if (!headers.empty() && headers.back() != '\n') o << "\n";
  return 0;
}

int flush(const Context& ctx) {
  int status = 0;
  for (const auto& id : allIds(ctx, QueueDir::Deferred))
    if (!makeDue(ctx, queue::queueDirPath(ctx.queueDir, QueueDir::Deferred) + "/" + id, id))
      status = 1;
  triggerQmgr(ctx);
  return status;
}

// hold, release, delete: one ID (or ALL).
int act(const Context& ctx, const std::string& verb, const std::vector<std::string>& idArgs) {
  if (idArgs.empty()) throw UsageError(verb + " needs a queue ID or ALL");
  std::vector<std::string> ids;
  if (idArgs.size() == 1 && idArgs[0] == "ALL") {
    const QueueDir from = verb == "release" ? QueueDir::Hold : QueueDir::Deferred;
    ids = allIds(ctx, from);
    if (verb != "release") {
      auto more = allIds(ctx, QueueDir::Incoming);
      ids.insert(ids.end(), more.begin(), more.end());
      if (verb == "delete") {
        more = allIds(ctx, QueueDir::Hold);
        ids.insert(ids.end(), more.begin(), more.end());
      }
    }
  } else {
    for (const auto& a : idArgs) {
      if (!queue::QueueId::isValid(a)) throw UsageError("not a queue ID: \"" + clean(a) + "\"");
      ids.push_back(a);
    }
  }
  int status = 0;
  bool released = false;
  for (const auto& text : ids) {
    const auto id = *queue::QueueId::parse(text);
    const auto dir = locate(ctx, id);
    if (!dir) {
      ctx.err << "posthorn: " << text << ": no such message in the queue\n";
      status = 1;
      continue;
    }
    if (*dir == QueueDir::Active) {
      ctx.err << "posthorn: " << text
              << ": being delivered right now; try again when qmgr is done with it\n";
      status = 1;
      continue;
    }
    try {
      if (verb == "hold") {
        if (*dir == QueueDir::Hold) {
          ctx.out << text << ": already on hold\n";
          continue;
        }
        queue::moveQueueFile(ctx.queueDir, id, *dir, QueueDir::Hold, true);
        ctx.out << text << ": placed on hold\n";
      } else if (verb == "release") {
        if (*dir != QueueDir::Hold) {
          ctx.err << "posthorn: " << text << ": not on hold\n";
          status = 1;
          continue;
        }
        const std::string path = queue::queueFilePath(ctx.queueDir, QueueDir::Hold, id);
        if (!makeDue(ctx, path, text)) {
          status = 1;
          continue;
        }
        queue::moveQueueFile(ctx.queueDir, id, QueueDir::Hold, QueueDir::Deferred, true);
        ctx.out << text << ": released from hold\n";
        released = true;
      } else {  // delete
        const std::string path = queue::queueFilePath(ctx.queueDir, *dir, id);
        if (::unlink(path.c_str()) != 0)
          throw std::runtime_error("remove " + path + ": " + std::strerror(errno));
        ::unlink((queue::queueDirPath(ctx.queueDir, QueueDir::Bounce) + "/" + text).c_str());
        ctx.out << text << ": removed\n";
      }
    } catch (const std::exception& e) {
      // Moved by qmgr meanwhile, most likely.
      ctx.err << "posthorn: " << text << ": " << e.what() << "\n";
      status = 1;
    }
  }
  if (released) triggerQmgr(ctx);
  return status;
}

bool mayUseQueue(const std::string& mailOwner) {
  const uid_t uid = ::getuid();
  if (uid == 0) return true;
  const passwd* pw = ::getpwnam(mailOwner.c_str());
  return pw && pw->pw_uid == uid;
}

}  // namespace

int runQueue(const std::vector<std::string>& args) { return runQueue(args, std::cout, std::cerr); }

int runQueue(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  try {
    std::string configDir = config::defaultConfigDir();  // -c "" names the directory ""
    ArgCursor arg(args, {.permute = false, .endMarker = false});
    while (arg.next()) {
      if (arg.arg() == "-h" || arg.arg() == "--help") {
        out << kQueue.usage << '\n';
        return 0;
      }
      if (arg.option() != 'c') {
        arg.stop();  // the queue command, bad as it may be
        break;
      }
      configDir = arg.value("a directory");
    }
    const std::vector<std::string> rest = arg.operands();
    if (rest.empty()) throw UsageError("no queue command given");
    const std::string verb = rest[0];
    const std::vector<std::string> operands(rest.begin() + 1, rest.end());

    const config::Config cfg = config::Config::load(configDir);
    const std::string mailOwner = cfg.get("mail_owner");
    if (!mayUseQueue(mailOwner))
      return kQueue.failed(err, "queue: only root and " + mailOwner + " (mail_owner) may do this");
    ::tzset();
    Context ctx{cfg.get("queue_directory"), out, err};
    if (verb == "list" && operands.empty()) return list(ctx);
    if (verb == "show" && operands.size() == 1) return show(ctx, operands[0]);
    if (verb == "flush" && operands.empty()) return flush(ctx);
    if (verb == "hold" || verb == "release" || verb == "delete") return act(ctx, verb, operands);
    throw UsageError("unknown queue command or wrong arguments: " + verb);
  } catch (const UsageError& e) {
    return kQueue.misused(err, e.what());
  } catch (const config::ConfigError& e) {
    return kQueue.failed(err, e.what());
  } catch (const std::exception& e) {
    err << "posthorn: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace posthorn::tools
