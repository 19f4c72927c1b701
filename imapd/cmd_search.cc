// cmd_search - SEARCH and UID SEARCH over the selected folder, with
// ESEARCH's RETURN options (RFC 4731); the message file is read only for
// keys that need it
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>

#include "imapd/envelope_fields.h"
#include "imapd/imap_session.h"
#include "imapd/message_view.h"
#include "imapd/search_match.h"
#include "imapd/search_parser.h"
#include "imapd/search_result.h"
#include "lib/mailbox/mailbox_io.h"

namespace posthorn::imapd {
namespace {

class FolderSubject : public SearchSubject {
 public:
  FolderSubject(mailbox::MaildirFolder& folder, const SelectedMailbox& view, const mailbox::IndexedMessage& m,
                std::uint32_t seq)
      : folder_(folder), view_(view), uid_(m.uid), modseq_(m.modseq), vsize_(m.vsize), flags_(m.flags),
        seq_(seq) {}
  // Only copies of the index entry are kept: reading a file may refresh
  // the index, which moves its entries.

  std::uint32_t sequence() const override { return seq_; }
  std::uint32_t uid() const override { return uid_; }
  const mailbox::MessageFlags& flags() const override { return flags_; }
  bool recent() const override { return view_.recent(uid_); }
  std::uint64_t modseq() const override { return modseq_; }
  std::time_t internalDate() const override {
    const mailbox::IndexedMessage* m = folder_.find(uid_);
    struct stat st{};
    return m != nullptr && ::stat(folder_.path(*m).c_str(), &st) == 0 ? st.st_mtime : 0;
  }
  std::uint64_t size() const override {
    if (vsize_ != mailbox::kUnknownSize) return vsize_;
    const std::uint64_t v = folder_.virtualSize(uid_);
    return v == mailbox::kUnknownSize ? 0 : v;
  }
  // Header keys read only the header: most searches (FROM, SUBJECT...)
  // never need a body.
  std::vector<std::string> headerValues(std::string_view name) override {
    if (!message_) {
      // FROM, TO, CC, BCC, SUBJECT: from the cached ENVELOPE when there is one.
      if (!envelopeRead_) {
        envelopeRead_ = true;
        const mailbox::IndexedMessage* m = folder_.find(uid_);
        const std::string* cached = m != nullptr ? m->cached("envelope") : nullptr;
        if (cached != nullptr) envelope_ = parseEnvelopeFields(*cached);
      }
      if (envelope_) {
        if (const auto* field = envelope_->field(name))
          return *field ? std::vector<std::string>{**field} : std::vector<std::string>{};
      }
    }
    return load(false) ? message_->decodedHeaderValues(name) : std::vector<std::string>{};
  }
  std::string headerText() override { return load(false) ? message_->decodedHeaderText() : std::string(); }
  std::string bodyText() override { return load(true) ? message_->decodedBodyText() : std::string(); }

 private:
  bool load(bool whole) {
    if (message_ && (wholeLoaded_ || !whole)) return true;
    if (failed_) return false;
    mailbox::Fd fd(folder_.openMessage(uid_));
    if (!fd.valid()) {
      failed_ = true;
      return false;
    }
    std::string bytes;
    char buf[16384];
    for (;;) {
      const ssize_t n = ::read(fd.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      bytes.append(buf, static_cast<std::size_t>(n));
      if (!whole) {
        // The header ends at the first empty line.
        const std::size_t end = bytes.find("\n\n");
        const std::size_t endCrlf = bytes.find("\n\r\n");
        const std::size_t cut = std::min(end == std::string::npos ? end : end + 2,
                                         endCrlf == std::string::npos ? endCrlf : endCrlf + 3);
        if (cut != std::string::npos) {
          bytes.resize(cut);
          break;
        }
      }
    }
    message_.emplace(std::move(bytes));
    wholeLoaded_ = whole;
    return true;
  }

  mailbox::MaildirFolder& folder_;
  const SelectedMailbox& view_;
  std::uint32_t uid_;
  std::uint64_t modseq_;
  std::uint64_t vsize_;
  mailbox::MessageFlags flags_;
  std::uint32_t seq_;
  std::optional<MessageView> message_;
  std::optional<EnvelopeFields> envelope_;
  bool envelopeRead_ = false;
  bool wholeLoaded_ = false;
  bool failed_ = false;
};

// "$" (SEARCHRES, RFC 5182) is not offered: a search naming it is BAD.
bool usesSavedResult(const SearchKey& key) {
  if ((key.type == SearchKey::Type::Sequence || key.type == SearchKey::Type::Uid) && key.set.saved) return true;
  for (const auto& child : key.children)
    if (usesSavedResult(child)) return true;
  return false;
}

int localOffsetMinutes() {
  const time_t now = ::time(nullptr);
  struct tm local{};
  ::localtime_r(&now, &local);
  return static_cast<int>(local.tm_gmtoff / 60);
}

}  // namespace

ImapSession::Next ImapSession::cmdSearch(const ImapCommand& c) {
  const bool uid = uidCommand();
  if (c.args.empty()) return bad(c.tag, "Syntax: SEARCH keys");
  SearchParseResult parsed = parseSearch(c.args, 0);
  if (parsed.badCharset) return no(c.tag, "[BADCHARSET (US-ASCII UTF-8)] " + parsed.error);
  if (!parsed.key) return bad(c.tag, parsed.error);
  if ((parsed.returnOptions && parsed.returnOptions->save) || usesSavedResult(*parsed.key))
    return bad(c.tag, "SEARCHRES ($, RETURN SAVE) is not supported.");
  auto& folder = selected_->folder();
  folder.refresh();
  SearchScope scope;
  scope.messageCount = selected_->count();
  scope.maxUid = selected_->maxUid();
  scope.timezoneOffsetMinutes = localOffsetMinutes();
  std::vector<std::uint32_t> found;  // message numbers or UIDs, ascending
  for (std::uint32_t seq = 1; seq <= selected_->count(); ++seq) {
    const mailbox::IndexedMessage* m = folder.find(selected_->uidAt(seq));
    if (m == nullptr) continue;  // expunged, not yet reported
    FolderSubject subject(folder, *selected_, *m, seq);
    if (matches(*parsed.key, subject, scope)) found.push_back(uid ? subject.uid() : seq);
  }
  out_.write(parsed.returnOptions ? esearchResponse(c.tag, uid, *parsed.returnOptions, found)
                                  : searchResponse(found));
  sendUpdates();
  tagged(c.tag, "OK Search completed.");
  return Next::Continue;
}

}  // namespace posthorn::imapd
