// greylist_server - the policy delegation protocol's server side, for greylist(8)
#include "greylist/greylist_server.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

#include "lib/log/log.h"
#include "lib/util/event_loop.h"

namespace posthorn::greylist {

class PolicySession {
 public:
  PolicySession(PolicyServer& server, event_base* base, server::Connection conn)
      : server_(server), conn_(std::move(conn)),
        event_(base, conn_.fd, loop::kRead | loop::kPersist, [this](int, short) { readable(); }) {
    ::fcntl(conn_.fd, F_SETFL, ::fcntl(conn_.fd, F_GETFL) | O_NONBLOCK);
    event_.add();
  }
  ~PolicySession() {
    event_.remove();
    ::close(conn_.fd);
    conn_.done();
  }

 private:
  void readable() {
    char buf[4096];
    const ssize_t n = ::read(conn_.fd, buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) return end();
    input_.append(buf, static_cast<std::size_t>(n));
    try {
      const std::string reply = server_.answer(input_);
      if (!reply.empty() && !writeAll(reply)) return end();
    } catch (const std::exception& e) {
      log::warning("%s: %s", conn_.peer.c_str(), e.what());
      return end();
    }
  }

  // Replies are small and the client reads each before its next request,
  // so the socket buffer takes them; a client that does not read them
  // within a few seconds is dropped.
  bool writeAll(const std::string& data) {
    std::size_t sent = 0;
    for (int tries = 0; sent < data.size() && tries < 50;) {
      const ssize_t n = ::send(conn_.fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n > 0) {
        sent += static_cast<std::size_t>(n);
      } else if (n < 0 && errno == EAGAIN) {
        ++tries;
        ::usleep(100 * 1000);
      } else if (n < 0 && errno != EINTR) {
        return false;
      }
    }
    return sent == data.size();
  }

  void end() { server_.ended(this); }

  PolicyServer& server_;
  server::Connection conn_;
  loop::Event event_;
  std::string input_;
};

PolicyServer::~PolicyServer() { stop(); }

void PolicyServer::serve(event_base* base, server::Connection conn) {
  sessions_.insert(new PolicySession(*this, base, std::move(conn)));
}

void PolicyServer::ended(PolicySession* session) {
  sessions_.erase(session);
  delete session;
}

void PolicyServer::stop() {
  while (!sessions_.empty()) ended(*sessions_.begin());
}

std::string PolicyServer::answer(std::string& buffer) const {
  std::string replies;
  for (;;) {
    const std::size_t end = buffer.find("\n\n");
    if (end == std::string::npos) {
      if (buffer.size() > kMaxRequest) throw std::runtime_error("policy request too large");
      return replies;
    }
    Attributes attrs;
    std::size_t pos = 0;
    while (pos <= end) {
      const std::size_t nl = buffer.find('\n', pos);
      std::string line = buffer.substr(pos, nl - pos);
      pos = nl + 1;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      const std::size_t eq = line.find('=');
      if (eq == std::string::npos || eq == 0)
        throw std::runtime_error("malformed policy request line \"" + line.substr(0, 100) + "\"");
      attrs[line.substr(0, eq)] = line.substr(eq + 1);
    }
    buffer.erase(0, end + 2);
    if (end + 2 > kMaxRequest) throw std::runtime_error("policy request too large");
    replies += "action=" + decide_(attrs) + "\n\n";
  }
}

}  // namespace posthorn::greylist
