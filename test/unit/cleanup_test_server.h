// cleanup_test_server - a cleanup server thread on a Unix socket for the
// tests that run whole cleanup sessions: one client at a time, each served
// by a CleanupSession with the settings given to start()
//
//   CleanupTestServer server;
//   server.start(dir / "public/cleanup", settings);   // settings must outlive the server
//   ... CleanupClient(dir / "public/cleanup") ...
//   server.connections, server.sessionsDone;          // counted as they happen
#pragma once

#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

#include "cleanup/cleanup_session.h"
#include "lib/ipc/ipc_listen.h"

namespace posthorn::testing {

class CleanupTestServer {
 public:
  ~CleanupTestServer() { stop(); }

  void start(const std::string& socket, const cleanup::SessionSettings& settings) {
    stopping_ = false;
    listenFd_ = ipc::listenUnix(socket, 0666);
    thread_ = std::thread([this, &settings] {
      while (!stopping_) {
        pollfd p{listenFd_, POLLIN, 0};
        if (::poll(&p, 1, 20) <= 0) continue;
        auto accepted = ipc::acceptUnix(listenFd_);
        if (!accepted) continue;
        ++connections;
        cleanup::CleanupSession session(settings, ipc::Channel(accepted->fd), "test");
        session.run();
        ++sessionsDone;
      }
    });
  }

  void stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
    if (listenFd_ >= 0) ::close(listenFd_);
    listenFd_ = -1;
  }

  std::atomic<int> connections{0};
  std::atomic<int> sessionsDone{0};

 private:
  int listenFd_ = -1;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
};

}  // namespace posthorn::testing
