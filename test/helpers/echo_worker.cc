// echo_worker - a test fixture daemon built on the server::Worker skeleton
//
// For each connection it writes "hello SERVICE pid=PID uid=UID\r\n", then
// echoes every line it receives (CRLF or LF terminated) back with CRLF until
// the client closes. As root it chroots to queue_directory and becomes
// mail_owner, like a real network-facing daemon. An argument
// "client_limit=N" sets the number of clients served at once (default 1);
// max_use and max_idle come from posthorn.conf or -o. Never installed.
#include <cstdio>
#include <cstdlib>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <string>
#include <unistd.h>

#include "lib/config/config.h"
#include "lib/log/log.h"
#include "lib/server/server.h"

namespace {

using posthorn::server::Connection;

struct Client {
  bufferevent* bev = nullptr;
  std::function<void()> done;
};

void finish(Client* client) {
  bufferevent_free(client->bev);
  auto done = std::move(client->done);
  delete client;
  done();
}

void onRead(bufferevent* bev, void* arg) {
  evbuffer* in = bufferevent_get_input(bev);
  size_t len = 0;
  while (char* line = evbuffer_readln(in, &len, EVBUFFER_EOL_CRLF)) {
    bufferevent_write(bev, line, len);
    bufferevent_write(bev, "\r\n", 2);
    std::free(line);
  }
  (void)arg;
}

// The output is flushed: a client that half-closed gets all its echoes.
void onFlushed(bufferevent*, void* arg) { finish(static_cast<Client*>(arg)); }

void onEvent(bufferevent* bev, short what, void* arg) {
  if (what & BEV_EVENT_ERROR) {
    finish(static_cast<Client*>(arg));
  } else if (what & BEV_EVENT_EOF) {
    if (evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
      finish(static_cast<Client*>(arg));
    } else {
      bufferevent_disable(bev, EV_READ);
      bufferevent_setcb(bev, nullptr, onFlushed, onEvent, arg);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  namespace server = posthorn::server;
  server::Options options;
  try {
    options = server::Options::fromArgv(argc, argv);
  } catch (const posthorn::config::ConfigError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
  server::Worker worker(options);
  const auto& cfg = worker.config();

  server::WorkerSettings settings;
  try {
    settings.chroot = cfg.get("queue_directory");
    settings.user = cfg.get("mail_owner");
    settings.maxUse = static_cast<int>(cfg.getInt("max_use"));
    settings.maxIdle = cfg.getTime("max_idle");
  } catch (const posthorn::config::ConfigError& e) {
    posthorn::log::fatal("%s", e.what());
  }
  settings.networkFacing = true;
  settings.clientLimit = 1;
  for (const auto& arg : options.args) {
    if (arg.rfind("client_limit=", 0) == 0) {
      settings.clientLimit = std::atoi(arg.c_str() + 13);
      if (settings.clientLimit < 1) posthorn::log::fatal("bad argument %s", arg.c_str());
    } else {
      posthorn::log::fatal("unknown argument %s", arg.c_str());
    }
  }

  return worker.run(settings, [&](Connection c) {
    evutil_make_socket_nonblocking(c.fd);
    auto* client = new Client;
    client->done = c.done;
    client->bev = bufferevent_socket_new(worker.eventBase(), c.fd, BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(client->bev, onRead, nullptr, onEvent, client);
    bufferevent_enable(client->bev, EV_READ | EV_WRITE);
    // The uid after the jail step: computed per connection, not at start.
    std::string greeting = "hello " + options.service + " pid=" + std::to_string(::getpid()) +
                           " uid=" + std::to_string(::getuid()) + "\r\n";
    bufferevent_write(client->bev, greeting.data(), greeting.size());
    posthorn::log::info("connect from %s", c.peer.c_str());
  });
}
