// dsn_log - the per-message record of DSNs sent (see dsn_log.h)
#include "qmgr/dsn_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace posthorn::qmgr {

namespace {

std::runtime_error ioError(const std::string& what, const std::string& path) {
  return std::runtime_error(what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

std::set<std::uint32_t> DsnLog::read() const {
  std::set<std::uint32_t> indices;
  std::ifstream in(path_);
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() < 3 || line.front() != 'i' || line.back() != ';') continue;
    const std::string digits = line.substr(1, line.size() - 2);
    if (digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    indices.insert(static_cast<std::uint32_t>(std::stoul(digits)));
  }
  return indices;
}

void DsnLog::append(const std::vector<std::uint32_t>& indices) const {
  std::string text = "\n";
  for (std::uint32_t i : indices) text += "i" + std::to_string(i) + ";\n";
  const bool existed = ::access(path_.c_str(), F_OK) == 0;
  const int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) throw ioError("open", path_);
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const auto e = ioError("write", path_);
      ::close(fd);
      throw e;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fdatasync(fd) != 0) {
    const auto e = ioError("fdatasync", path_);
    ::close(fd);
    throw e;
  }
  if (::close(fd) != 0) throw ioError("close", path_);
  if (!existed) {
    // A new name: its directory entry must be durable too.
    const auto slash = path_.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : path_.substr(0, slash);
    const int dfd = ::open(dir.empty() ? "/" : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) throw ioError("open", dir);
    const int rc = ::fsync(dfd);
    ::close(dfd);
    if (rc != 0) throw ioError("fsync", dir);
  }
}

void DsnLog::remove() const { ::unlink(path_.c_str()); }

}  // namespace posthorn::qmgr
