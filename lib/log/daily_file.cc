// daily_file - appending lines to the file of the day
#include "lib/log/daily_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "lib/log/log.h"

namespace posthorn::log {

std::string DailyFile::fileFor(std::time_t time) const {
  std::tm tm{};
  ::gmtime_r(&time, &tm);
  char name[40];
  std::snprintf(name, sizeof name, "%04d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  return directory_ + "/" + name;
}

bool DailyFile::append(std::string_view text, std::time_t time) {
  std::string line(text);
  line += '\n';
  const std::string path = fileFor(time);
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  const ssize_t n = fd < 0 ? -1 : ::write(fd, line.data(), line.size());
  const int err = errno;
  if (fd >= 0) ::close(fd);
  if (n == static_cast<ssize_t>(line.size())) return true;
  if (path != lastFailedFile_) {
    lastFailedFile_ = path;
    warning("cannot record %s in %s: %s", what_.c_str(), path.c_str(), n < 0 ? std::strerror(err) : "short write");
  }
  return false;
}

}  // namespace posthorn::log
