// pickup_scan - reads maildrop/ files and hands them to cleanup
#include "pickup/pickup_scan.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <optional>
#include <utility>
#include <vector>

#include "lib/log/log.h"
#include "lib/queue/maildrop_file.h"
#include "lib/queue/queue_dirs.h"
#include "lib/queue/queue_id.h"

namespace posthorn::pickup {
namespace {

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// What a local user may decide about their message; everything else is
// pickup's to say.
std::string qualify(const std::string& address, const std::string& origin) {
  if (address.empty() || origin.empty() || address.find('@') != std::string::npos) return address;
  return address + "@" + origin;
}

ipc::CleanupEnvelope trustedEnvelope(const ipc::CleanupEnvelope& in, const struct stat& st,
                                     const std::string& origin) {
  ipc::CleanupEnvelope out;
  out.sender = qualify(in.sender, origin);
  out.fullName = in.fullName;
  out.envid = in.envid;
  out.ret = in.ret;
  out.body = in.body;
  out.helo = in.helo;  // sendmail -bs: what the local client said
  out.protocol = (in.protocol == "SMTP" || in.protocol == "ESMTP") ? in.protocol : "LOCAL";
  out.arrivalMicros = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000 +
                      st.st_mtim.tv_nsec / 1000;
  for (const auto& r : in.recipients) {
    ipc::CleanupRecipient rcpt;
    rcpt.address = qualify(r.address, origin);
    rcpt.orcpt = r.orcpt;
    rcpt.notify = r.notify;
    rcpt.originalAddress = r.originalAddress.empty() ? r.address : r.originalAddress;
    out.recipients.push_back(std::move(rcpt));
  }
  return out;
}

}  // namespace

Pickup::Pickup(PickupSettings settings)
    : settings_(std::move(settings)), client_(settings_.cleanupSocket) {}

ScanResult Pickup::scan() {
  ScanResult result;
  try {
    if (const std::size_t n = queue::removeStaleTempFiles(settings_.maildropDir, settings_.staleTempAge))
      log::info("removed %zu stale temporary files from %s", n, settings_.maildropDir.c_str());
  } catch (const std::exception& e) {
    log::warning("%s", e.what());
  }
  std::vector<std::string> ids;
  DIR* d = ::opendir(settings_.maildropDir.c_str());
  if (!d) {
    log::warning("open directory %s: %s", settings_.maildropDir.c_str(), std::strerror(errno));
    return result;
  }
  while (const dirent* e = ::readdir(d))
    if (queue::QueueId::isValid(e->d_name)) ids.emplace_back(e->d_name);
  ::closedir(d);
  std::sort(ids.begin(), ids.end());  // oldest first: IDs sort by time

  for (std::size_t i = 0; i < ids.size(); ++i) {
    const Outcome o = pickOne(ids[i]);
    if (o == Outcome::Submitted) ++result.submitted;
    if (o == Outcome::Removed) ++result.removed;
    if (o == Outcome::Deferred) ++result.deferred;
    if (o == Outcome::Stop) {
      result.deferred += ids.size() - i;  // cleanup is not taking mail now; the rest waits too
      break;
    }
  }
  return result;
}

Pickup::Outcome Pickup::removeBad(const std::string& id, unsigned uid, const std::string& why) {
  const std::string path = settings_.maildropDir + "/" + id;
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    log::warning("maildrop/%s: uid=%u: %s; cannot remove it: %s", id.c_str(), uid, why.c_str(),
                 std::strerror(errno));
    return Outcome::Deferred;
  }
  log::warning("maildrop/%s: uid=%u: %s; removed", id.c_str(), uid, why.c_str());
  return Outcome::Removed;
}

Pickup::Outcome Pickup::pickOne(const std::string& id) {
  const std::string path = settings_.maildropDir + "/" + id;
  Fd f{::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)};
  if (f.fd < 0) {
    if (errno == ENOENT) return Outcome::Gone;  // another pickup took it
    if (errno == ELOOP) return removeBad(id, 0, "a symbolic link, not a maildrop file");
    log::warning("open %s: %s", path.c_str(), std::strerror(errno));
    return Outcome::Deferred;
  }
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) {
    log::warning("fstat %s: %s", path.c_str(), std::strerror(errno));
    return Outcome::Deferred;
  }
  const auto uid = static_cast<unsigned>(st.st_uid);
  if (!S_ISREG(st.st_mode)) return removeBad(id, uid, "not a regular file");
  if (st.st_nlink != 1) return removeBad(id, uid, "a file with more than one link");

  std::optional<maildrop::MaildropReader> reader;
  try {
    reader.emplace(f.fd);
  } catch (const maildrop::MaildropError& e) {
    if (e.kind() == maildrop::MaildropError::Kind::Io) {
      log::warning("maildrop/%s: %s", id.c_str(), e.what());
      return Outcome::Deferred;
    }
    return removeBad(id, uid, e.what());
  }
  const maildrop::MaildropHeader& header = reader->header();
  const std::uint32_t flags = ipc::cleanup_flags::kLocalSubmission | ipc::cleanup_flags::kSign |
                              (header.flags & ipc::cleanup_flags::kExtractRecipients);
  if (!client_.open(flags)) {
    log::warning("maildrop/%s: cannot hand it to cleanup (%s); it waits for the next run",
                 id.c_str(), client_.error().c_str());
    client_.abandon();
    return Outcome::Stop;
  }
  log::info("%s: uid=%u from=<%s>", client_.queueId().c_str(), uid,
            header.envelope.sender.c_str());
  client_.begin(trustedEnvelope(header.envelope, st, settings_.myorigin), flags);
  std::string buf(ipc::kContentChunk, '\0');
  try {
    while (std::size_t n = reader->read(buf.data(), buf.size())) {
      if (!client_.write(std::string_view(buf.data(), n))) break;
    }
  } catch (const maildrop::MaildropError& e) {
    log::warning("maildrop/%s: %s; it waits for the next run", id.c_str(), e.what());
    client_.abandon();
    return Outcome::Deferred;
  }
  const ipc::CleanupReply reply = client_.finish();
  if (reply.ok()) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
      log::warning("remove %s: %s (the message is queued as %s)", path.c_str(),
                   std::strerror(errno), reply.queueId.c_str());
    return Outcome::Submitted;
  }
  if (reply.code < 500) {
    log::warning("maildrop/%s: %s; it waits for the next run", id.c_str(), reply.line().c_str());
    client_.abandon();
    return Outcome::Stop;
  }
  return removeBad(id, uid, "refused by cleanup: " + reply.line());
}

}  // namespace posthorn::pickup
