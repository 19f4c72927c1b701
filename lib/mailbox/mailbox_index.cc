// mailbox_index - base + append-only log, loading, appending, rewriting
#include "lib/mailbox/mailbox_index.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <thread>

#include "lib/mailbox/index_record.h"
#include "lib/mailbox/mailbox_error.h"

namespace posthorn::mailbox {
namespace {

constexpr const char* kVersion = "1";

template <class T>
bool parseNumber(const std::string& s, T& out) {
  if (s.empty()) return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool parseSize(const std::string& s, std::uint64_t& out) {
  if (s.empty()) {
    out = kUnknownSize;
    return true;
  }
  return parseNumber(s, out);
}

std::string sizeField(std::uint64_t v) { return v == kUnknownSize ? std::string() : std::to_string(v); }

std::string keywordsField(const MessageFlags& f) {
  std::string out;
  for (const auto& k : f.keywords) {
    if (!out.empty()) out += ' ';
    out += k;
  }
  return out;
}

MessageFlags parseFlags(const std::string& system, const std::string& keywords) {
  MessageFlags f;
  f.system = systemFlagsFromLetters(system);
  std::size_t pos = 0;
  while (pos < keywords.size()) {
    const auto sp = keywords.find(' ', pos);
    const std::string k = keywords.substr(pos, sp == std::string::npos ? std::string::npos : sp - pos);
    if (!k.empty()) f.addKeyword(k);
    if (sp == std::string::npos) break;
    pos = sp + 1;
  }
  return f;
}

// Fields 1..: uid modseq n|c name sys kw [size vsize]
bool parseMessage(const std::vector<std::string>& f, bool withSizes, IndexedMessage& m) {
  if (f.size() != (withSizes ? 9u : 7u)) return false;
  if (!parseNumber(f[1], m.uid) || m.uid == 0 || !parseNumber(f[2], m.modseq)) return false;
  if (f[3] != "n" && f[3] != "c") return false;
  m.inNew = f[3] == "n";
  m.name = f[4];
  if (m.name.empty() || m.name.find('/') != std::string::npos) return false;
  m.flags = parseFlags(f[5], f[6]);
  if (withSizes && (!parseSize(f[7], m.size) || !parseSize(f[8], m.vsize))) return false;
  return true;
}

void setCache(IndexedMessage& m, const std::string& key, const std::string& value) {
  for (auto& kv : m.cache) {
    if (kv.first == key) {
      kv.second = value;
      return;
    }
  }
  m.cache.emplace_back(key, value);
}

std::string readFrom(int fd, std::uint64_t offset, const std::string& path) {
  std::string out;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::pread(fd, buf, sizeof buf, static_cast<off_t>(offset + out.size()));
    if (n < 0) {
      if (errno == EINTR) continue;
      throwMailboxError("cannot read", path, errno);
    }
    if (n == 0) return out;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

std::string baseHeaderRecord(const IndexHeader& h) {
  return formatRecord({"B", kVersion, std::to_string(h.generation), std::to_string(h.uidValidity),
                       std::to_string(h.uidNext), std::to_string(h.highestModseq)});
}

bool parseBaseHeader(const std::vector<std::string>& f, IndexHeader& h) {
  return f.size() == 6 && f[0] == "B" && f[1] == kVersion && parseNumber(f[2], h.generation) &&
         parseNumber(f[3], h.uidValidity) && parseNumber(f[4], h.uidNext) &&
         parseNumber(f[5], h.highestModseq);
}

void writeFileDurably(const std::string& path, const std::string& content) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) throwMailboxError("cannot create", path, errno);
  writeAll(fd.get(), content.data(), content.size(), path);
  fsyncFd(fd.get(), path);
  fd.close(path);
}

}  // namespace

const std::string* IndexedMessage::cached(const std::string& key) const {
  for (const auto& kv : cache) {
    if (kv.first == key) return &kv.second;
  }
  return nullptr;
}

const IndexedMessage* IndexState::find(std::uint32_t uid) const {
  const auto it = std::lower_bound(messages_.begin(), messages_.end(), uid,
                                   [](const IndexedMessage& m, std::uint32_t u) { return m.uid < u; });
  return it != messages_.end() && it->uid == uid ? &*it : nullptr;
}

IndexedMessage* IndexState::findMutable(std::uint32_t uid) { return const_cast<IndexedMessage*>(find(uid)); }

const IndexedMessage* IndexState::findBase(const std::string& base) const {
  if (!byBaseValid_) {
    byBase_.clear();
    byBase_.reserve(messages_.size());
    for (const auto& m : messages_) byBase_.emplace(m.base(), m.uid);
    byBaseValid_ = true;
  }
  const auto it = byBase_.find(base);
  return it == byBase_.end() ? nullptr : find(it->second);
}

void IndexState::clear() {
  header = IndexHeader{};
  messages_.clear();
  byBase_.clear();
  byBaseValid_ = false;
}

void IndexState::reset(IndexHeader h, std::vector<IndexedMessage> messages) {
  header = h;
  if (headerOnly_) {
    messages_.clear();
    byBase_.clear();
    return;
  }
  messages_ = std::move(messages);
  byBase_.clear();
  byBaseValid_ = false;
}

bool IndexState::apply(const std::vector<std::string>& f) {
  if (f.empty() || f[0].size() != 1) return false;
  const char type = f[0][0];
  switch (type) {
    case 'M':
    case 'A': {
      IndexedMessage m;
      if (!parseMessage(f, true, m)) return false;
      if (type == 'A') {
        if (m.uid < header.uidNext) return false;  // a UID is never given twice
        header.uidNext = std::max(header.uidNext, m.uid + 1);
        header.highestModseq = std::max(header.highestModseq, m.modseq);
      }
      if (headerOnly_) return true;
      if (!messages_.empty() && messages_.back().uid >= m.uid) return false;  // UIDs only grow
      if (byBaseValid_) byBase_[m.base()] = m.uid;
      messages_.push_back(std::move(m));
      return true;
    }
    case 'F': {
      IndexedMessage m;
      if (!parseMessage(f, false, m)) return false;
      header.highestModseq = std::max(header.highestModseq, m.modseq);
      if (headerOnly_) return true;
      IndexedMessage* cur = findMutable(m.uid);
      if (cur == nullptr) return true;  // expunged meanwhile: nothing to change
      if (byBaseValid_ && cur->base() != m.base()) {
        byBase_.erase(cur->base());
        byBase_[m.base()] = m.uid;
      }
      cur->modseq = m.modseq;
      cur->name = std::move(m.name);
      cur->inNew = m.inNew;
      cur->flags = std::move(m.flags);
      return true;
    }
    case 'X': {
      std::uint32_t uid = 0;
      std::uint64_t modseq = 0;
      if (f.size() != 3 || !parseNumber(f[1], uid) || !parseNumber(f[2], modseq)) return false;
      header.highestModseq = std::max(header.highestModseq, modseq);
      if (headerOnly_) return true;
      const auto it = std::lower_bound(messages_.begin(), messages_.end(), uid,
                                       [](const IndexedMessage& m, std::uint32_t u) { return m.uid < u; });
      if (it != messages_.end() && it->uid == uid) {
        if (byBaseValid_) byBase_.erase(it->base());
        messages_.erase(it);
      }
      return true;
    }
    case 'C': {
      std::uint32_t uid = 0;
      if (f.size() != 4 || !parseNumber(f[1], uid)) return false;
      if (headerOnly_) return true;
      if (IndexedMessage* m = findMutable(uid)) setCache(*m, f[2], f[3]);
      return true;
    }
    case 'U': {
      std::uint32_t next = 0;
      if (f.size() != 2 || !parseNumber(f[1], next)) return false;
      header.uidNext = std::max(header.uidNext, next);
      return true;
    }
    default:
      return false;
  }
}

std::vector<std::string> appendRecord(const IndexedMessage& m) {
  return {"A", std::to_string(m.uid), std::to_string(m.modseq), m.inNew ? "n" : "c", m.name,
          systemFlagLetters(m.flags.system), keywordsField(m.flags), sizeField(m.size), sizeField(m.vsize)};
}

std::vector<std::string> flagsRecord(const IndexedMessage& m) {
  return {"F", std::to_string(m.uid), std::to_string(m.modseq), m.inNew ? "n" : "c", m.name,
          systemFlagLetters(m.flags.system), keywordsField(m.flags)};
}

std::vector<std::string> expungeRecord(std::uint32_t uid, std::uint64_t modseq) {
  return {"X", std::to_string(uid), std::to_string(modseq)};
}

std::vector<std::string> cacheRecord(std::uint32_t uid, const std::string& key, const std::string& value) {
  return {"C", std::to_string(uid), key, value};
}

std::vector<std::string> uidNextRecord(std::uint32_t uidNext) { return {"U", std::to_string(uidNext)}; }

MailboxIndex::MailboxIndex(std::string folderDir, bool headerOnly)
    : dir_(std::move(folderDir)), state_(headerOnly) {}

bool MailboxIndex::exists() const {
  struct stat st;
  return ::stat((dir_ + "/" + kBaseName).c_str(), &st) == 0;
}

void MailboxIndex::load() {
  const std::string basePath = dir_ + "/" + kBaseName;
  const std::string logPath = dir_ + "/" + kLogName;
  for (int attempt = 0; attempt < 50; ++attempt) {
    Fd baseFd(::open(basePath.c_str(), O_RDONLY | O_CLOEXEC));
    if (!baseFd.valid()) throwMailboxError("cannot open", basePath, errno);
    std::string text;
    if (state_.headerOnly()) {
      char buf[512];
      const ssize_t n = ::pread(baseFd.get(), buf, sizeof buf, 0);
      if (n < 0) throwMailboxError("cannot read", basePath, errno);
      text.assign(buf, static_cast<std::size_t>(n));
    } else {
      text = readAll(baseFd.get(), basePath);
    }
    std::size_t pos = 0;
    auto first = parseRecord(text, &pos);
    IndexHeader header;
    if (!first || !parseBaseHeader(*first, header)) throw IndexDamaged(basePath + ": bad or missing header record");
    state_.reset(header, {});
    if (!state_.headerOnly()) {
      std::uint64_t count = 0;
      bool ended = false;
      while (pos < text.size()) {
        const std::size_t at = pos;
        auto rec = parseRecord(text, &pos);
        if (!rec) throw IndexDamaged(basePath + ": damaged record at offset " + std::to_string(at));
        if ((*rec)[0] == "E") {
          if (rec->size() != 2 || (*rec)[1] != std::to_string(count) || pos != text.size())
            throw IndexDamaged(basePath + ": bad end record");
          ended = true;
          break;
        }
        if ((*rec)[0] == "M") ++count;
        if (((*rec)[0] != "M" && (*rec)[0] != "C") || !state_.apply(*rec))
          throw IndexDamaged(basePath + ": bad record at offset " + std::to_string(at));
      }
      if (!ended) throw IndexDamaged(basePath + ": truncated (no end record)");
      state_.header = header;
    }
    // The log of the same generation, if any.
    logFd_ = Fd(::open(logPath.c_str(), O_RDONLY | O_CLOEXEC));
    logOffset_ = 0;
    logDamaged_ = 0;
    logIno_ = 0;
    logStale_ = false;
    if (!logFd_.valid()) {
      if (errno != ENOENT) throwMailboxError("cannot open", logPath, errno);
      loaded_ = true;
      return;
    }
    struct stat st;
    if (::fstat(logFd_.get(), &st) != 0) throwMailboxError("cannot stat", logPath, errno);
    logIno_ = st.st_ino;
    const std::string logText = readFrom(logFd_.get(), 0, logPath);
    std::size_t lpos = 0;
    auto lhead = parseRecord(logText, &lpos);
    std::uint64_t gen = 0;
    if (!lhead || lhead->size() != 3 || (*lhead)[0] != "L" || !parseNumber((*lhead)[2], gen)) {
      // A log without its first line is the remains of a creation cut
      // short: the base alone is the state.
      logStale_ = true;
      logOffset_ = logText.size();
      loaded_ = true;
      return;
    }
    if (gen > header.generation) continue;  // the base was replaced after we read it
    if (gen < header.generation) {
      logStale_ = true;  // left over from an interrupted rewrite
      logOffset_ = logText.size();
      loaded_ = true;
      return;
    }
    logOffset_ = lpos;
    while (lpos < logText.size()) {
      auto rec = parseRecord(logText, &lpos);
      if (!rec || !state_.apply(*rec)) break;
      logOffset_ = lpos;
    }
    logDamaged_ = logText.size() - logOffset_;
    loaded_ = true;
    return;
  }
  throwMailboxError("cannot read a stable index in", dir_, EAGAIN);
}

bool MailboxIndex::refresh() {
  if (!loaded_) {
    load();
    return true;
  }
  const std::string logPath = dir_ + "/" + kLogName;
  struct stat st;
  const bool present = ::stat(logPath.c_str(), &st) == 0;
  if (!present || st.st_ino != logIno_ || logStale_ || !logFd_.valid()) {
    const IndexHeader before = state_.header;
    const std::size_t count = state_.messages().size();
    load();
    return !(before == state_.header) || count != state_.messages().size() || present;
  }
  if (static_cast<std::uint64_t>(st.st_size) <= logOffset_ + logDamaged_) return false;
  const std::string text = readFrom(logFd_.get(), logOffset_, logPath);
  std::size_t pos = 0;
  bool changed = false;
  while (pos < text.size()) {
    const std::size_t before = pos;
    auto rec = parseRecord(text, &pos);
    if (!rec || !state_.apply(*rec)) {
      pos = before;
      break;
    }
    changed = true;
  }
  logOffset_ += pos;
  logDamaged_ = text.size() - pos;
  return changed;
}

void MailboxIndex::writeBaseAndLog(const IndexHeader& header, const std::vector<IndexedMessage>& messages) {
  const std::string basePath = dir_ + "/" + kBaseName;
  const std::string logPath = dir_ + "/" + kLogName;
  std::string text = baseHeaderRecord(header);
  std::uint64_t count = 0;
  for (const auto& m : messages) {
    auto f = appendRecord(m);
    f[0] = "M";
    text += formatRecord(f);
    ++count;
    for (const auto& kv : m.cache) text += formatRecord(cacheRecord(m.uid, kv.first, kv.second));
  }
  text += formatRecord({"E", std::to_string(count)});
  const std::string baseTmp = basePath + ".tmp";
  writeFileDurably(baseTmp, text);
  if (::rename(baseTmp.c_str(), basePath.c_str()) != 0) throwMailboxError("cannot rename " + baseTmp + " to", basePath, errno);
  // The new base must be durable before the old log goes away.
  fsyncDirectory(dir_);
  const std::string logTmp = logPath + ".tmp";
  writeFileDurably(logTmp, formatRecord({"L", kVersion, std::to_string(header.generation)}));
  if (::rename(logTmp.c_str(), logPath.c_str()) != 0) throwMailboxError("cannot rename " + logTmp + " to", logPath, errno);
  fsyncDirectory(dir_);
}

void MailboxIndex::create(const IndexHeader& header, const std::vector<IndexedMessage>& messages) {
  IndexHeader h = header;
  h.generation = header.generation + 1;
  writeBaseAndLog(h, messages);
  loaded_ = false;
  load();
}

void MailboxIndex::compact() {
  if (state_.headerOnly()) {
    MailboxIndex full(dir_, false);
    full.load();
    full.compact();
    loaded_ = false;
    load();
    return;
  }
  create(state_.header, state_.messages());
}

void MailboxIndex::syncLog() {
  if (!unsyncedFd_.valid()) return;
  Fd fd = std::move(unsyncedFd_);
  if (::fdatasync(fd.get()) != 0) throwMailboxError("cannot fdatasync", dir_ + "/" + kLogName, errno);
}

void MailboxIndex::append(const std::vector<std::vector<std::string>>& records, bool durable) {
  if (records.empty()) return;
  refresh();
  const std::string logPath = dir_ + "/" + kLogName;
  Fd fd(::open(logPath.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid() || logStale_) {
    // No usable log (a rewrite cut short): start a fresh one of this generation.
    if (!fd.valid() && errno != ENOENT) throwMailboxError("cannot open", logPath, errno);
    fd = Fd();
    const std::string logTmp = logPath + ".tmp";
    writeFileDurably(logTmp, formatRecord({"L", kVersion, std::to_string(state_.header.generation)}));
    if (::rename(logTmp.c_str(), logPath.c_str()) != 0) throwMailboxError("cannot rename " + logTmp + " to", logPath, errno);
    fsyncDirectory(dir_);
    loaded_ = false;
    load();
    fd = Fd(::open(logPath.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd.valid()) throwMailboxError("cannot open", logPath, errno);
  }
  // Cut a torn tail (a writer killed mid-write) before appending.
  if (logDamaged_ > 0) {
    if (::ftruncate(fd.get(), static_cast<off_t>(logOffset_)) != 0) throwMailboxError("cannot truncate", logPath, errno);
    logDamaged_ = 0;
  }
  std::string text;
  for (const auto& r : records) text += formatRecord(r);
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::pwrite(fd.get(), text.data() + done, text.size() - done,
                               static_cast<off_t>(logOffset_ + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      if (::ftruncate(fd.get(), static_cast<off_t>(logOffset_)) != 0) {
        // Left as a damaged tail; the next writer cuts it.
      }
      throwMailboxError("cannot write", logPath, err);
    }
    done += static_cast<std::size_t>(n);
  }
  if (!durable) {
    unsyncedFd_ = std::move(fd);
  } else if (::fdatasync(fd.get()) != 0) {
    throwMailboxError("cannot fdatasync", logPath, errno);
  }
  for (const auto& r : records) state_.apply(r);
  logOffset_ += text.size();
}

IndexLock::IndexLock(const std::string& folderDir, int timeoutMs) {
  const std::string path = folderDir + "/" + MailboxIndex::kLockName;
  fd_ = Fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd_.valid()) throwMailboxError("cannot open", path, errno);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
  auto pause = std::chrono::milliseconds(1);
  while (::flock(fd_.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) throwMailboxError("cannot lock", path, errno);
    if (std::chrono::steady_clock::now() >= deadline) throwMailboxError("cannot lock", path, EAGAIN);
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(20));
  }
}

}  // namespace posthorn::mailbox
