// message_copy - copy messages between folders of one store
#include "imapd/message_copy.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>

#include "imapd/message_sources.h"
#include "lib/mailbox/mailbox_io.h"

namespace posthorn::imapd {

CopyResult copyMessages(mailbox::MaildirFolder& source, const std::vector<std::uint32_t>& uids,
                        mailbox::MaildirStore& store, const std::string& target) {
  CopyResult result;
  for (const std::uint32_t uid : uids) {
    const mailbox::IndexedMessage* m = source.find(uid);
    if (m == nullptr) continue;  // expunged meanwhile
    const mailbox::MessageFlags flags = m->flags;
    mailbox::Fd fd(source.openMessage(uid));
    if (!fd.valid()) {
      if (errno == ENOENT) continue;
      result.error = "cannot open message " + std::to_string(uid);
      break;
    }
    struct stat st{};
    ::fstat(fd.get(), &st);
    FdSource bytes(fd.get());
    const mailbox::DeliveryResult r = store.deliver(target, bytes, flags);
    if (!r.ok()) {
      result.overQuota = r.overQuota;
      result.error = r.text;
      break;
    }
    // The internal date is the file's mtime, as Dovecot has it.
    const timespec times[2] = {st.st_atim, st.st_mtim};
    ::utimensat(AT_FDCWD, r.path.c_str(), times, 0);
    result.uids.emplace_back(uid, r.uid);
  }
  if (!result.error.empty() && !result.uids.empty()) {
    std::vector<std::uint32_t> made;
    for (const auto& [from, to] : result.uids) made.push_back(to);
    mailbox::MaildirFolder folder = store.folder(target);
    folder.open();
    folder.expunge(made);
    result.uids.clear();
  }
  return result;
}

}  // namespace posthorn::imapd
