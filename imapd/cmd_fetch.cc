// cmd_fetch - FETCH and UID FETCH: flags and sizes from the index,
// ENVELOPE and BODYSTRUCTURE from its cache, bodies from the message file
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <ctime>

#include "imapd/fetch_items.h"
#include "imapd/imap_date.h"
#include "imapd/imap_session.h"
#include "imapd/imap_string.h"
#include "imapd/message_view.h"
#include "lib/mailbox/mailbox_io.h"

namespace posthorn::imapd {
namespace {

constexpr const char* kEnvelopeKey = "envelope";
constexpr const char* kStructureKey = "bodystructure";
constexpr const char* kBodyKey = "body";

std::optional<std::string> readMessage(mailbox::MaildirFolder& folder, std::uint32_t uid, time_t* mtime) {
  mailbox::Fd fd(folder.openMessage(uid));
  if (!fd.valid()) return std::nullopt;
  struct stat st{};
  if (::fstat(fd.get(), &st) != 0) return std::nullopt;
  if (mtime != nullptr) *mtime = st.st_mtime;
  std::string bytes;
  bytes.resize(static_cast<std::size_t>(st.st_size));
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::read(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  bytes.resize(done);
  return bytes;
}

std::string internalDate(time_t t) {
  struct tm local{};
  ::localtime_r(&t, &local);
  return "\"" + formatImapDateTime(t, static_cast<int>(local.tm_gmtoff / 60)) + "\"";
}

}  // namespace

ImapSession::Next ImapSession::cmdFetch(const ImapCommand& c) {
  const bool uid = uidCommand();
  if (c.args.size() != 2 || !c.args[0].isAtom()) return bad(c.tag, "Syntax: FETCH set items");
  const auto set = parseSequenceSet(c.args[0].text);
  if (!set || set->saved) return bad(c.tag, "Invalid message set.");
  std::string error;
  auto items = parseFetchItems(c.args[1], &error);
  if (!items) return bad(c.tag, error);
  if (uid) items->uid = true;
  auto& folder = selected_->folder();
  folder.refresh();
  const auto uids = selected_->resolve(*set, uid);
  if (!uids) return bad(c.tag, "Invalid messageset.");

  // \Seen first, so that the responses carry the new flags.
  std::vector<std::uint32_t> seen;
  if (items->setsSeen() && !selected_->readOnly()) {
    std::vector<std::uint32_t> unseen;
    for (const std::uint32_t u : *uids) {
      const auto* m = folder.find(u);
      if (m != nullptr && !m->flags.has(mailbox::kFlagSeen)) unseen.push_back(u);
    }
    if (!unseen.empty()) {
      mailbox::MessageFlags f;
      f.system = mailbox::kFlagSeen;
      seen = folder.storeFlags(unseen, f, mailbox::FlagMode::Add);
      selected_->noteReported(seen);
    }
  }

  std::vector<mailbox::MaildirFolder::CacheEntry> cache;
  bool missing = false;
  for (const std::uint32_t u : *uids) {
    const mailbox::IndexedMessage* m = folder.find(u);
    const std::uint32_t seq = selected_->sequenceOf(u);
    if (m == nullptr || seq == 0) {
      // Expunged by another session, not yet reported: a UID FETCH
      // ignores UIDs that are gone (RFC 3501 6.4.8), a FETCH says so.
      missing = missing || !uid;
      continue;
    }
    // Copies: reading the file may refresh the index, which moves `m`.
    auto cachedCopy = [m](bool wanted, const char* key) -> std::optional<std::string> {
      const std::string* v = wanted ? m->cached(key) : nullptr;
      return v != nullptr ? std::optional<std::string>(*v) : std::nullopt;
    };
    const auto envelope = cachedCopy(items->envelope, kEnvelopeKey);
    const auto structure = cachedCopy(items->bodyStructure, kStructureKey);
    const auto body = cachedCopy(items->body, kBodyKey);
    const bool needView = items->needsFile() || (items->envelope && !envelope) ||
                          (items->bodyStructure && !structure) || (items->body && !body);
    const std::string flags = selected_->flagsOf(*m);
    const std::uint64_t vsize = m->vsize;
    std::optional<MessageView> view;
    time_t mtime = 0;
    if (needView) {
      auto bytes = readMessage(folder, u, &mtime);
      if (!bytes) {
        missing = missing || !uid;
        continue;
      }
      view.emplace(std::move(*bytes));
    } else if (items->internalDate) {
      struct stat st{};
      if (::stat(folder.path(*m).c_str(), &st) == 0) mtime = st.st_mtime;
    }
    std::string r = "* " + std::to_string(seq) + " FETCH (";
    bool first = true;
    auto sep = [&r, &first]() {
      if (!first) r += ' ';
      first = false;
    };
    if (items->uid) {
      sep();
      r += "UID " + std::to_string(u);
    }
    const bool seenNow = std::binary_search(seen.begin(), seen.end(), u);
    if (items->flags || seenNow) {
      sep();
      r += "FLAGS " + flags;
    }
    if (items->internalDate) {
      sep();
      r += "INTERNALDATE " + internalDate(mtime);
    }
    if (items->size) {
      sep();
      const std::uint64_t size = view ? view->text().size()
                                      : (vsize != mailbox::kUnknownSize ? vsize : folder.virtualSize(u));
      r += "RFC822.SIZE " + std::to_string(size);
    }
    // ENVELOPE, BODY, BODYSTRUCTURE: from the cache, else from the view and into the cache.
    auto cachedItem = [&](const char* name, const std::optional<std::string>& cached, const char* key,
                          auto compute) {
      sep();
      r += name;
      r += ' ';
      if (cached) {
        r += *cached;
        return;
      }
      std::string value = compute();
      r += value;
      cache.push_back({u, key, std::move(value)});
    };
    if (items->envelope) cachedItem("ENVELOPE", envelope, kEnvelopeKey, [&] { return view->envelope(); });
    if (items->body) cachedItem("BODY", body, kBodyKey, [&] { return view->bodyStructure(false); });
    if (items->bodyStructure)
      cachedItem("BODYSTRUCTURE", structure, kStructureKey, [&] { return view->bodyStructure(true); });
    // Bodies go out as literals, straight from the view.
    auto literal = [&](const std::string& name, std::string_view bytes) {
      sep();
      r += name + " {" + std::to_string(bytes.size()) + "}\r\n";
      out_.write(r);
      out_.write(bytes);
      r.clear();
    };
    std::string storage;
    for (const auto& s : items->sections) literal(s.responseName(), fetchSection(*view, s, storage));
    if (items->rfc822Header) literal("RFC822.HEADER", view->header());
    if (items->rfc822Text) literal("RFC822.TEXT", view->body());
    if (items->rfc822) literal("RFC822", view->text());
    out_.write(r);
    out_.write(")\r\n");
  }
  if (!cache.empty()) {
    try {
      folder.setCached(cache);
    } catch (const std::exception&) {
      // A cache: the next FETCH computes it again.
    }
  }
  sendUpdates();
  if (missing)
    tagged(c.tag, "NO [EXPUNGEISSUED] Some messages were expunged.");
  else
    tagged(c.tag, "OK Fetch completed.");
  return Next::Continue;
}

}  // namespace posthorn::imapd
