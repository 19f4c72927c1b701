// append_sink - APPEND literals streamed to an unlinked file
#include "imapd/append_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "lib/mailbox/mailbox_error.h"

namespace posthorn::imapd {

FileLiteralSink::FileLiteralSink(const std::string& directory) {
  fd_ = mailbox::Fd(::open(directory.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (!fd_.valid()) {
    // Filesystems without O_TMPFILE: a named file, unlinked at once.
    std::string path = directory + "/imapd-append.XXXXXX";
    const int fd = ::mkostemp(path.data(), O_CLOEXEC);
    if (fd < 0) mailbox::throwMailboxError("cannot create a temporary file in", directory, errno);
    ::unlink(path.c_str());
    fd_ = mailbox::Fd(fd);
  }
}

void FileLiteralSink::write(std::string_view bytes) {
  while (!failed_ && !bytes.empty()) {
    const ssize_t n = ::write(fd_.get(), bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      failed_ = true;  // keep reading the literal; the APPEND fails at its end
      return;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

int FileLiteralSink::rewound() {
  if (failed_ || ::lseek(fd_.get(), 0, SEEK_SET) != 0) return -1;
  return fd_.get();
}

}  // namespace posthorn::imapd
