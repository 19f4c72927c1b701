// map_server - one libevent session per mapd client (see map_server.h)
#include "mapd/map_server.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>
#include <signal.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <string>
#include <utility>

#include "lib/ipc.h"
#include "lib/log.h"
#include "lib/proto_mapd.h"
#include "mapd/table_cache.h"

namespace posthorn::mapd {

namespace {

// Stop reading from a client while this many reply bytes wait to be sent.
constexpr std::size_t kMaxPendingOutput = 256u << 10;

}  // namespace

class MapSession {
 public:
  MapSession(MapServer& server, event_base* base, server::Connection conn,
             std::chrono::seconds timeout)
      : server_(server), conn_(std::move(conn)) {
    if (evutil_make_socket_nonblocking(conn_.fd) == 0) {
      bev_ = bufferevent_socket_new(base, conn_.fd, BEV_OPT_CLOSE_ON_FREE);
    }
    if (bev_ == nullptr) {
      log::warning("cannot set up a session for %s; dropping it", conn_.peer.c_str());
      ::close(conn_.fd);
      return;
    }
    bufferevent_setcb(bev_, &MapSession::onRead, &MapSession::onWrite, &MapSession::onEvent,
                      this);
    const timeval tv{static_cast<time_t>(timeout.count()), 0};
    bufferevent_set_timeouts(bev_, &tv, &tv);
    bufferevent_enable(bev_, EV_READ | EV_WRITE);
  }

  ~MapSession() {
    server_.forget(this);
    if (bev_ != nullptr) bufferevent_free(bev_);  // closes the fd
    if (conn_.done) conn_.done();
  }

  MapSession(const MapSession&) = delete;
  MapSession& operator=(const MapSession&) = delete;

  bool ok() const { return bev_ != nullptr; }

  // Ends the session once the replies already made are written.
  void finish() {
    closing_ = true;
    bufferevent_disable(bev_, EV_READ);
    if (evbuffer_get_length(bufferevent_get_output(bev_)) == 0) delete this;
  }

 private:
  static void onRead(bufferevent*, void* arg) { static_cast<MapSession*>(arg)->readable(); }
  static void onWrite(bufferevent*, void* arg) { static_cast<MapSession*>(arg)->drained(); }
  static void onEvent(bufferevent*, short what, void* arg) {
    static_cast<MapSession*>(arg)->event(what);
  }

  void readable() {
    try {
      evbuffer* in = bufferevent_get_input(bev_);
      char buf[16384];
      int n;
      while ((n = evbuffer_remove(in, buf, sizeof buf)) > 0) {
        reader_.feed(std::string_view(buf, static_cast<std::size_t>(n)));
      }
      answerPending();
    } catch (const std::exception& e) {
      drop(e.what());
    }
  }

  // Answers every whole request already read, unless the client is behind
  // on reading replies.
  void answerPending() {
    evbuffer* out = bufferevent_get_output(bev_);
    while (evbuffer_get_length(out) < kMaxPendingOutput) {
      auto frame = reader_.next();
      if (!frame) break;
      if (frame->fd >= 0) ::close(frame->fd);
      const auto request = ipc::decode<ipc::MapLookupRequest>(*frame);
      const std::string bytes = replyBytes(server_.tables().lookup(request, conn_.peer));
      evbuffer_add(out, bytes.data(), bytes.size());
    }
    if (evbuffer_get_length(out) >= kMaxPendingOutput &&
        (bufferevent_get_enabled(bev_) & EV_READ)) {
      log::debug("%s is not reading its replies: pausing it", conn_.peer.c_str());
      bufferevent_disable(bev_, EV_READ);
    }
  }

  // The reply's frame; a value too long for one frame becomes a TempFail.
  std::string replyBytes(const ipc::MapLookupReply& reply) {
    std::string body = ipc::encode(reply);
    if (body.size() > ipc::kMaxFrameBody) {
      log::warning("value too long for a reply to %s (%zu bytes)", conn_.peer.c_str(),
                   reply.value.size());
      ipc::MapLookupReply fail;
      fail.status = ipc::MapStatus::TempFail;
      fail.value = "value too long";
      body = ipc::encode(fail);
    }
    return ipc::frameBytes(static_cast<std::uint32_t>(ipc::MapLookupReply::kType),
                           ipc::MapLookupReply::kVersion, body);
  }

  // Every reply written: resume a paused client, or end a closing session.
  void drained() {
    if (closing_) {
      delete this;
      return;
    }
    if (bufferevent_get_enabled(bev_) & EV_READ) return;
    try {
      bufferevent_enable(bev_, EV_READ);
      answerPending();
    } catch (const std::exception& e) {
      drop(e.what());
    }
  }

  void event(short what) {
    if (what & BEV_EVENT_TIMEOUT) {
      log::info("timeout after %s from %s", (what & BEV_EVENT_READING) ? "read" : "write",
                conn_.peer.c_str());
    } else if ((what & BEV_EVENT_EOF) && reader_.buffered() != 0) {
      log::warning("%s closed the connection in the middle of a request", conn_.peer.c_str());
    } else if (what & BEV_EVENT_ERROR) {
      log::debug("connection error from %s: %s", conn_.peer.c_str(),
                 std::strerror(errno));
    }
    delete this;
  }

  void drop(const char* why) {
    log::warning("malformed request from %s: %s; dropping the connection", conn_.peer.c_str(),
                 why);
    delete this;
  }

  MapServer& server_;
  server::Connection conn_;
  bufferevent* bev_ = nullptr;
  ipc::FrameReader reader_;
  bool closing_ = false;
};

MapServer::MapServer(TableCache& tables, std::chrono::seconds clientTimeout)
    : tables_(tables), clientTimeout_(clientTimeout) {}

MapServer::~MapServer() = default;

void MapServer::stopOnSignals(event_base* base) {
  auto onSignal = [this](int, short) { stop(); };
  sigterm_ = std::make_unique<loop::Event>(base, SIGTERM, loop::kSignal | loop::kPersist, onSignal);
  sigint_ = std::make_unique<loop::Event>(base, SIGINT, loop::kSignal | loop::kPersist, onSignal);
  sigterm_->add();
  sigint_->add();
}

void MapServer::serve(event_base* base, server::Connection conn) {
  auto* session = new MapSession(*this, base, std::move(conn), clientTimeout_);
  if (!session->ok()) {
    delete session;
    return;
  }
  sessions_.insert(session);  // it lives until its client leaves (or stop())
  if (stopping_) session->finish();
}

void MapServer::stop() {
  if (!stopping_) {
    log::debug("stopping: closing %zu client connections", sessions_.size());
  }
  stopping_ = true;
  const auto sessions = sessions_;  // finish() may delete, which forgets
  for (auto* session : sessions) session->finish();
}

}  // namespace posthorn::mapd
