// queue_listing - reads the queue directories and formats mailq's listing
#include "lib/queue/queue_listing.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <utility>

#include "lib/log/log.h"
#include "lib/queue/maildrop_file.h"
#include "lib/queue/queue_dirs.h"
#include "lib/queue/queue_file_reader.h"
#include "lib/queue/queue_id.h"

namespace posthorn::queue {
namespace {

// Addresses and reasons came from the network: no control characters on a terminal.
std::string clean(const std::string& text) { return log::sanitize(text, 4096); }

constexpr int kIdWidth = static_cast<int>(queue::QueueId::kLength);
// ID, status character, space, size (8), space, time (20), two spaces.
constexpr int kRecipientIndent = kIdWidth + 1 + 1 + 8 + 1 + 20 + 2;

std::vector<std::string> queueIds(const std::string& dir) {
  std::vector<std::string> ids;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return ids;
  while (const dirent* e = ::readdir(d))
    if (queue::QueueId::isValid(e->d_name)) ids.emplace_back(e->d_name);
  ::closedir(d);
  std::sort(ids.begin(), ids.end());
  return ids;
}

QueueEntry fromQueueFile(const std::string& path, const std::string& id, char status) {
  queue::QueueFileReader reader(path);
  const queue::Envelope& env = reader.envelope();
  QueueEntry e;
  e.id = id;
  e.status = status;
  e.size = reader.contentLength();
  e.arrival = std::chrono::system_clock::to_time_t(
      std::chrono::time_point_cast<std::chrono::seconds>(env.arrival));
  e.sender = env.sender;
  for (const queue::Recipient& r : env.recipients)
    if (!r.status.done()) e.recipients.push_back({r.address, r.report.diagnostic});
  return e;
}

QueueEntry fromMaildropFile(const std::string& path, const std::string& id) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error(path + ": cannot open");
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  ::fstat(fd, &st);
  maildrop::MaildropReader reader(fd);
  QueueEntry e;
  e.id = id;
  e.size = reader.contentLength();
  e.arrival = st.st_mtime;
  e.sender = reader.header().envelope.sender;
  for (const auto& r : reader.header().envelope.recipients) e.recipients.push_back({r.address, ""});
  return e;
}

}  // namespace

std::vector<QueueEntry> scanQueue(const std::string& queueDirectory,
                                  std::vector<std::string>* problems) {
  using queue::QueueDir;
  const std::pair<QueueDir, char> dirs[] = {{QueueDir::Incoming, ' '},
                                            {QueueDir::Active, '*'},
                                            {QueueDir::Deferred, ' '},
                                            {QueueDir::Hold, '!'},
                                            {QueueDir::Maildrop, ' '}};
  std::vector<QueueEntry> entries;
  for (const auto& [dir, status] : dirs) {
    const std::string path = queueDirectory + "/" + std::string(queue::queueDirName(dir));
    for (const std::string& id : queueIds(path)) {
      const std::string file = path + "/" + id;
      try {
        entries.push_back(dir == QueueDir::Maildrop ? fromMaildropFile(file, id)
                                                    : fromQueueFile(file, id, status));
      } catch (const std::exception& e) {
        // Gone meanwhile (delivered, moved) is normal; say nothing then.
        if (problems && ::access(file.c_str(), F_OK) == 0) problems->push_back(e.what());
      }
    }
  }
  return entries;
}

std::string formatListing(const std::vector<QueueEntry>& entries) {
  if (entries.empty()) return "Mail queue is empty\n";
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "%-*s  --Size-- ----Arrival Time---- -Sender/Recipient-------\n",
                kIdWidth, "-Queue ID-");
  out += line;
  std::uint64_t total = 0;
  for (const QueueEntry& e : entries) {
    total += e.size;
    struct tm tm {};
    ::localtime_r(&e.arrival, &tm);
    char when[32];
    std::strftime(when, sizeof when, "%a %b %e %H:%M:%S", &tm);
    std::snprintf(line, sizeof line, "%-*s%c %8llu %-20.20s  ", kIdWidth, e.id.c_str(), e.status,
                  static_cast<unsigned long long>(e.size), when);
    out += line;
    out += e.sender.empty() ? "MAILER-DAEMON" : clean(e.sender);
    out += "\n";
    std::string lastReason;
    for (const auto& r : e.recipients) {
      if (!r.reason.empty() && r.reason != lastReason) out += "(" + clean(r.reason) + ")\n";
      lastReason = r.reason;
      out += std::string(kRecipientIndent, ' ') + clean(r.address) + "\n";
    }
    out += "\n";
  }
  std::snprintf(line, sizeof line, "-- %llu Kbytes in %zu Request%s.\n",
                static_cast<unsigned long long>((total + 1023) / 1024), entries.size(),
                entries.size() == 1 ? "" : "s");
  out += line;
  return out;
}

}  // namespace posthorn::queue
