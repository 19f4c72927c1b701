// queue_file - in-place status slots and appended update records
#include "lib/queue/queue_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <map>

#include "lib/queue/queue_envelope_codec.h"

namespace posthorn::queue {
namespace {

using Kind = QueueFileError::Kind;

FileHandle openLocked(const std::string& path) {
  FileHandle fd(::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) throwIo(path, "open", errno);
  while (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK)
      throw QueueFileError(Kind::Locked, path, "locked by another process");
    throwIo(path, "flock", errno);
  }
  return fd;
}

}  // namespace

QueueFile::QueueFile(std::string path) : QueueFileReader(path, openLocked(path)) {}

void QueueFile::check(std::size_t index) const {
  if (index >= envelope_.recipients.size())
    fail(Kind::Invalid, "no recipient " + std::to_string(index) + " (file has " +
                            std::to_string(envelope_.recipients.size()) + ")");
}

const Recipient& QueueFile::recipient(std::size_t index) const {
  check(index);
  return envelope_.recipients[index];
}

void QueueFile::markDone(std::size_t index, RecipientState state) {
  check(index);
  RecipientStatus status = envelope_.recipients[index].status;
  status.state = state;
  apply({{index, status, std::nullopt}});
}

void QueueFile::markDone(std::size_t index, RecipientState state, const DeliveryReport& report) {
  check(index);
  RecipientStatus status = envelope_.recipients[index].status;
  status.state = state;
  apply({{index, status, report}});
}

void QueueFile::defer(std::size_t index, std::chrono::sys_seconds nextRetry,
                      const DeliveryReport& report) {
  check(index);
  RecipientStatus status = envelope_.recipients[index].status;
  status.state = RecipientState::Todo;
  status.attempts += 1;
  status.nextRetry = nextRetry;
  apply({{index, status, report}});
}

void QueueFile::setDelayWarned(std::size_t index) {
  check(index);
  RecipientStatus status = envelope_.recipients[index].status;
  status.delayWarned = true;
  apply({{index, status, std::nullopt}});
}

void QueueFile::apply(const std::vector<Change>& changes) {
  if (broken_) fail(Kind::Io, "an earlier update failed; reopen the file");
  bool withReport = false;
  for (const Change& c : changes) {
    check(c.index);
    if (static_cast<std::uint8_t>(c.status.state) > kMaxRecipientState)
      fail(Kind::Invalid, "unknown recipient state");
    withReport = withReport || c.report.has_value();
  }
  if (changes.empty()) return;
  try {
    if (withReport)
      appendUpdate(changes);
    else
      writeSlots(changes);
  } catch (const QueueFileError& e) {
    if (e.kind() != Kind::Invalid) broken_ = true;  // the disk state is unknown
    throw;
  }
}

// Rewrites the older slot copy of each recipient, then one fdatasync. A
// recipient named twice gets only its last change: writing both of its
// copies before the sync could let a crash damage both.
void QueueFile::writeSlots(const std::vector<Change>& changes) {
  std::map<std::size_t, const Change*> last;
  for (const Change& c : changes) last[c.index] = &c;

  struct Pending {
    std::size_t index, copy;
    SlotImage image;
  };
  std::vector<Pending> pending;
  for (const auto& [index, change] : last) {
    QueueFileLayout::Slots& slots = layout_.slots[index];
    std::size_t copy;
    if (!slots.copies[0])
      copy = 0;
    else if (!slots.copies[1])
      copy = 1;
    else
      copy = slots.copies[0]->seq <= slots.copies[1]->seq ? 0 : 1;
    const SlotImage image = toSlotImage(change->status, slots.seq + 1);
    const std::string bytes = encodeSlot(image);
    pwriteFull(fd_->get(), bytes.data(), bytes.size(), slots.offset + copy * kSlotSize, path_);
    pending.push_back({index, copy, image});
  }
  fdatasyncChecked(fd_->get(), path_);
  for (const Pending& p : pending) {
    QueueFileLayout::Slots& slots = layout_.slots[p.index];
    slots.copies[p.copy] = p.image;
    slots.seq = p.image.seq;
    envelope_.recipients[p.index].status = fromSlotImage(p.image);
  }
}

// One 'U' record for the whole batch, at the end of the valid updates (a
// torn tail left by a crash is cut off first), then one fdatasync.
void QueueFile::appendUpdate(const std::vector<Change>& changes) {
  const Time when = now();
  std::vector<UpdateEntry> entries;
  std::map<std::size_t, std::uint32_t> seqs;
  for (const Change& c : changes) {
    std::uint32_t& seq = seqs.try_emplace(c.index, layout_.slots[c.index].seq).first->second;
    UpdateEntry e;
    e.index = static_cast<std::uint32_t>(c.index);
    e.image = toSlotImage(c.status, ++seq);
    if (c.report) {
      e.hasReport = true;
      e.report = *c.report;
      if (e.report.time == Time{}) e.report.time = when;
    }
    entries.push_back(std::move(e));
  }
  std::string record;
  try {
    appendRecord(record, rec::kUpdate, encodeUpdate(when, entries));
  } catch (const FieldError& e) {
    fail(Kind::Invalid, e.what());
  }

  if (layout_.fileSize > layout_.updatesEnd) {
    if (::ftruncate(fd_->get(), static_cast<off_t>(layout_.updatesEnd)) != 0)
      throwIo(path_, "ftruncate", errno);
    layout_.fileSize = layout_.updatesEnd;
  }
  pwriteFull(fd_->get(), record.data(), record.size(), layout_.updatesEnd, path_);
  fdatasyncChecked(fd_->get(), path_);

  layout_.updatesEnd += record.size();
  layout_.fileSize = layout_.updatesEnd;
  for (const UpdateEntry& e : entries) applyUpdate(e);
}

std::unique_ptr<QueueFile> openQueueFileWaiting(const std::string& path,
                                                std::chrono::milliseconds patience,
                                                std::string* error) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  for (;;) {
    try {
      return std::make_unique<QueueFile>(path);
    } catch (const QueueFileError& e) {
      if (e.kind() != QueueFileError::Kind::Locked || std::chrono::steady_clock::now() >= deadline) {
        *error = e.what();
        return nullptr;
      }
    }
    ::usleep(20000);
  }
}

}  // namespace posthorn::queue
