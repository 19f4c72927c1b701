// showq - lists the mail queue for mailq(1) (see showq(8))
//
// master runs it as `showq unix n - y - - showq`: chrooted into the queue
// directory, as mail_owner, on public/showq, which the postdrop group can
// reach (postdrop -p, behind mailq, is setgid postdrop). Each connection
// gets the listing as text (lib/queue/queue_listing.h) and is closed.
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "lib/log/log.h"
#include "lib/queue/queue_listing.h"
#include "lib/server/daemon_main.h"

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
  return server::runDaemon(argc, argv, [](server::Worker& worker) {
    server::WorkerSettings jail = worker.defaults();  // it reads what came from the network
    const std::string root = worker.rootAfterJail(jail.chroot);
    jail.preJail = [] { ::tzset(); };  // arrival times in local time
    return worker.run(jail, [&](server::Connection conn) {
      std::vector<std::string> problems;
      const std::string text = queue::formatListing(queue::scanQueue(root, &problems));
      for (const auto& p : problems) log::warning("%s", p.c_str());
      writeAll(conn.fd, text);
      ::close(conn.fd);
      conn.done();
    });
  });
}
