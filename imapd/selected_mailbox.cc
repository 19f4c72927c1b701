// selected_mailbox - message numbers, untagged EXISTS/EXPUNGE/FETCH updates
#include "imapd/selected_mailbox.h"

#include <algorithm>
#include <iterator>

#include "lib/mailbox/dovecot_keywords.h"
#include "lib/mailbox/maildir_flags.h"

namespace posthorn::imapd {

SelectedMailbox::SelectedMailbox(std::string name, mailbox::MaildirFolder folder, bool readOnly)
    : name_(std::move(name)), folder_(std::move(folder)), readOnly_(readOnly) {}

std::uint32_t SelectedMailbox::sequenceOf(std::uint32_t uid) const {
  const auto it = std::lower_bound(uids_.begin(), uids_.end(), uid);
  if (it == uids_.end() || *it != uid) return 0;
  return static_cast<std::uint32_t>(it - uids_.begin()) + 1;
}

bool SelectedMailbox::recent(std::uint32_t uid) const {
  return std::binary_search(recent_.begin(), recent_.end(), uid);
}

std::string SelectedMailbox::flagsOf(const mailbox::IndexedMessage& m) const {
  std::string f = mailbox::flagsToImap(m.flags);
  if (recent(m.uid)) f += f.empty() ? "\\Recent" : " \\Recent";
  return "(" + f + ")";
}

void SelectedMailbox::open(net::ClientOutput& out) {
  folder_.open();
  folder_.sync();
  uids_.clear();
  modseqs_.clear();
  recent_.clear();
  // A message still in new/ has not been seen by any session: it is
  // \Recent here, and moved to cur/ so that it is nowhere else.
  if (!readOnly_) recent_ = folder_.takeNew();
  std::uint32_t firstUnseen = 0;
  for (const auto& m : folder_.messages()) {
    uids_.push_back(m.uid);
    modseqs_.push_back(m.modseq);
    if (readOnly_ && m.inNew) recent_.push_back(m.uid);
    if (firstUnseen == 0 && !m.flags.has(mailbox::kFlagSeen)) firstUnseen = count();
  }
  reportedRecent_ = recent_.size();
  const auto& h = folder_.header();
  keywords_.clear();
  const mailbox::DovecotKeywords known = mailbox::DovecotKeywords::load(folder_.directory());
  for (char letter = 'a'; letter <= 'z'; ++letter)
    if (const std::string* k = known.keyword(letter)) keywords_.insert(*k);
  for (const auto& m : folder_.messages()) keywords_.insert(m.flags.keywords.begin(), m.flags.keywords.end());
  out.write("* " + flagsLine() + "\r\n");
  if (readOnly_)
    out.write("* OK [PERMANENTFLAGS ()] Read-only mailbox.\r\n");
  else
    out.write("* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft" + keywordList() +
              " \\*)] Flags permitted.\r\n");
  out.write("* " + std::to_string(count()) + " EXISTS\r\n");
  out.write("* " + std::to_string(recent_.size()) + " RECENT\r\n");
  if (firstUnseen != 0) out.write("* OK [UNSEEN " + std::to_string(firstUnseen) + "] First unseen.\r\n");
  seenModseq_ = h.highestModseq;
  seenUidNext_ = h.uidNext;
  out.write("* OK [UIDVALIDITY " + std::to_string(h.uidValidity) + "] UIDs valid\r\n");
  out.write("* OK [UIDNEXT " + std::to_string(h.uidNext) + "] Predicted next UID\r\n");
}

void SelectedMailbox::update(net::ClientOutput& out, bool allowExpunge, bool scan) {
  if (scan)
    folder_.sync();
  else
    folder_.refresh();
  std::vector<std::uint32_t> taken;
  if (!readOnly_) {
    taken = folder_.takeNew();
    if (!taken.empty()) {
      std::vector<std::uint32_t> merged;
      std::merge(recent_.begin(), recent_.end(), taken.begin(), taken.end(), std::back_inserter(merged));
      recent_ = std::move(merged);
      noteReported(taken);  // moving to cur/ changed no flag
    }
  }
  // Every change (flags, expunge, a new message) raises HIGHESTMODSEQ or
  // UIDNEXT: when neither moved and no expunge waits, there is nothing to
  // report, and most commands end here without looking at each message.
  const auto& h = folder_.header();
  if (h.highestModseq == seenModseq_ && h.uidNext == seenUidNext_ && !(allowExpunge && expungePending_)) return;
  seenModseq_ = h.highestModseq;
  seenUidNext_ = h.uidNext;
  const auto& messages = folder_.messages();
  // Expunged by someone else: highest number first, so each number is
  // right at the moment it is sent.
  if (allowExpunge) {
    for (std::size_t i = uids_.size(); i-- > 0;) {
      if (folder_.find(uids_[i]) != nullptr) continue;
      out.write("* " + std::to_string(i + 1) + " EXPUNGE\r\n");
      dropAt(i);
    }
    expungePending_ = false;
  } else {
    expungePending_ = expungePending_ || messages.size() < uids_.size() ||
                      std::any_of(uids_.begin(), uids_.end(), [this](std::uint32_t u) { return folder_.find(u) == nullptr; });
  }
  // Flags changed by someone else.
  for (std::size_t i = 0; i < uids_.size(); ++i) {
    const mailbox::IndexedMessage* m = folder_.find(uids_[i]);
    if (m == nullptr || m->modseq == modseqs_[i]) continue;
    modseqs_[i] = m->modseq;
    announceKeywords(out, m->flags);
    out.write("* " + std::to_string(i + 1) + " FETCH (UID " + std::to_string(m->uid) + " FLAGS " +
              flagsOf(*m) + ")\r\n");
  }
  // New messages (UIDs only grow).
  const std::uint32_t last = maxUid();
  const std::size_t before = uids_.size();
  auto it = std::upper_bound(messages.begin(), messages.end(), last,
                             [](std::uint32_t uid, const mailbox::IndexedMessage& m) { return uid < m.uid; });
  for (; it != messages.end(); ++it) {
    announceKeywords(out, it->flags);
    uids_.push_back(it->uid);
    modseqs_.push_back(it->modseq);
    if (readOnly_ && it->inNew) recent_.push_back(it->uid);
  }
  if (uids_.size() != before) out.write("* " + std::to_string(count()) + " EXISTS\r\n");
  if (recent_.size() != reportedRecent_) {
    reportedRecent_ = recent_.size();
    out.write("* " + std::to_string(recent_.size()) + " RECENT\r\n");
  }
}

std::vector<std::uint32_t> SelectedMailbox::deletedUids(const std::vector<std::uint32_t>* only) const {
  std::vector<std::uint32_t> out;
  for (const std::uint32_t u : uids_) {
    if (only != nullptr && !std::binary_search(only->begin(), only->end(), u)) continue;
    const mailbox::IndexedMessage* m = folder_.find(u);
    if (m != nullptr && m->flags.has(mailbox::kFlagDeleted)) out.push_back(u);
  }
  return out;
}

std::optional<std::vector<std::uint32_t>> SelectedMailbox::resolve(const SequenceSet& set, bool uid) const {
  std::vector<std::uint32_t> out;
  const std::uint32_t n = count();
  for (const auto& r : set.ranges) {
    if (uid) {
      if (uids_.empty()) continue;
      std::uint32_t a = r.first == SequenceSet::kStar ? maxUid() : r.first;
      std::uint32_t b = r.last == SequenceSet::kStar ? maxUid() : r.last;
      if (a > b) std::swap(a, b);
      auto lo = std::lower_bound(uids_.begin(), uids_.end(), a);
      auto hi = std::upper_bound(uids_.begin(), uids_.end(), b);
      out.insert(out.end(), lo, hi);
    } else {
      std::uint32_t a = r.first == SequenceSet::kStar ? n : r.first;
      std::uint32_t b = r.last == SequenceSet::kStar ? n : r.last;
      if (a > b) std::swap(a, b);
      if (a == 0 || b > n) return std::nullopt;
      for (std::uint32_t s = a; s <= b; ++s) out.push_back(uids_[s - 1]);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void SelectedMailbox::dropAt(std::size_t index) {
  const auto r = std::lower_bound(recent_.begin(), recent_.end(), uids_[index]);
  if (r != recent_.end() && *r == uids_[index]) {
    recent_.erase(r);
    // EXPUNGE lowers the client's idea of RECENT by itself (RFC 3501 7.4.1).
    if (reportedRecent_ > 0) --reportedRecent_;
  }
  uids_.erase(uids_.begin() + static_cast<std::ptrdiff_t>(index));
  modseqs_.erase(modseqs_.begin() + static_cast<std::ptrdiff_t>(index));
}

std::string SelectedMailbox::keywordList() const {
  std::string out;
  for (const auto& k : keywords_) out += " " + k;
  return out;
}

std::string SelectedMailbox::flagsLine() const {
  return "FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft" + keywordList() + ")";
}

void SelectedMailbox::announceKeywords(net::ClientOutput& out, const mailbox::MessageFlags& flags) {
  bool added = false;
  for (const auto& k : flags.keywords) added = keywords_.insert(k).second || added;
  if (added) out.write("* " + flagsLine() + "\r\n");
}

void SelectedMailbox::moveTo(std::string name, mailbox::MaildirFolder folder) {
  name_ = std::move(name);
  folder_ = std::move(folder);
  folder_.open();
}

void SelectedMailbox::noteReported(const std::vector<std::uint32_t>& uids) {
  for (const std::uint32_t uid : uids) {
    const std::uint32_t seq = sequenceOf(uid);
    const mailbox::IndexedMessage* m = folder_.find(uid);
    if (seq != 0 && m != nullptr) modseqs_[seq - 1] = m->modseq;
  }
}

void SelectedMailbox::expunged(net::ClientOutput& out, const std::vector<std::uint32_t>& uids) {
  std::vector<std::uint32_t> sorted = uids;
  std::sort(sorted.begin(), sorted.end());
  for (auto it = sorted.rbegin(); it != sorted.rend(); ++it) {
    const std::uint32_t seq = sequenceOf(*it);
    if (seq == 0) continue;
    out.write("* " + std::to_string(seq) + " EXPUNGE\r\n");
    dropAt(seq - 1);
  }
}

}  // namespace posthorn::imapd
