// maildir_name - Dovecot-style unique names and their ,S= / ,W= fields
#include "lib/mailbox/maildir_name.h"

#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <climits>

namespace posthorn::mailbox {
namespace {

std::atomic<std::uint64_t> nameCounter{0};

}  // namespace

std::string maildirHostname() {
  char host[HOST_NAME_MAX + 1] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "localhost";
  std::string out;
  for (const char* p = host; *p; ++p) {
    if (*p == '/') {
      out += "\\057";
    } else if (*p == ':') {
      out += "\\072";
    } else {
      out += *p;
    }
  }
  return out;
}

std::string maildirUniqueName() {
  struct timeval tv;
  ::gettimeofday(&tv, nullptr);
  const std::uint64_t counter = ++nameCounter;
  return std::to_string(tv.tv_sec) + ".M" + std::to_string(tv.tv_usec) + "P" +
         std::to_string(::getpid()) + "Q" + std::to_string(counter) + "." + maildirHostname();
}

bool maildirNameField(const std::string& name, char key, std::uint64_t& value) {
  // Fields follow the unique part; the flags part after ':' has none.
  const std::string base = name.substr(0, name.find(':'));
  const std::string tag = std::string(",") + key + "=";
  std::size_t pos = 0;
  while ((pos = base.find(tag, pos)) != std::string::npos) {
    std::size_t i = pos + tag.size();
    std::uint64_t v = 0;
    std::size_t digits = 0;
    while (i < base.size() && base[i] >= '0' && base[i] <= '9' && digits < 19) {
      v = v * 10 + static_cast<std::uint64_t>(base[i] - '0');
      ++i;
      ++digits;
    }
    if (digits > 0 && (i == base.size() || base[i] == ',')) {
      value = v;
      return true;
    }
    pos += tag.size();
  }
  return false;
}

}  // namespace posthorn::mailbox
