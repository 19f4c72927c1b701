// showq - lists the mail queue for mailq(1) (see showq(8))
//
// master runs it as `showq unix n - y - - showq`: chrooted into the queue
// directory, as mail_owner, on public/showq, which the postdrop group can
// reach (postdrop -p, behind mailq, is setgid postdrop). Each connection
// gets the listing as text (lib/queue/queue_listing.h) and is closed.
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "lib/config/config.h"
#include "lib/log/log.h"
#include "lib/util/privilege.h"
#include "lib/server/server.h"
#include "lib/queue/queue_listing.h"

using namespace posthorn;

namespace {

void writeAll(int fd, const std::string& text) {
  timeval tv{60, 0};  // a client that stops reading is dropped
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::send(fd, text.data() + done, text.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const auto options = server::Options::fromArgv(argc, argv);
    server::Worker worker(options);
    const config::Config& cfg = worker.config();
    const std::string queueDir = cfg.get("queue_directory");
    if (queueDir.empty()) throw config::ConfigError("queue_directory is empty");
    const bool jailed = options.chroot && privilege::runningAsRoot();
    const std::string root = jailed ? std::string() : queueDir;

    server::WorkerSettings jail;
    jail.chroot = queueDir;
    jail.user = cfg.get("mail_owner");
    jail.networkFacing = true;  // it reads what came from the network
    jail.clientLimit = 1;
    jail.maxUse = static_cast<int>(cfg.getInt("max_use"));
    jail.maxIdle = cfg.getTime("max_idle");
    jail.preJail = [] { ::tzset(); };  // arrival times in local time
    return worker.run(jail, [&](server::Connection conn) {
      std::vector<std::string> problems;
      const std::string text = queue::formatListing(queue::scanQueue(root, &problems));
      for (const auto& p : problems) log::warning("%s", p.c_str());
      writeAll(conn.fd, text);
      ::close(conn.fd);
      conn.done();
    });
  } catch (const config::ConfigError& e) {
    std::fprintf(stderr, "showq: %s\n", e.what());
    log::error("%s", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "showq: fatal: %s\n", e.what());
    log::error("fatal: %s", e.what());
    return 1;
  }
}
