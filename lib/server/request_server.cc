// request_server - one libevent session per client of a request/reply
// service (see request_server.h)
#include "lib/server/request_server.h"

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

#include "lib/log/log.h"

namespace posthorn::server {

namespace {

// Stop reading from a client while this many reply bytes wait to be sent.
constexpr std::size_t kMaxPendingOutput = 256u << 10;

// The handler of a stateless service: the one Answer, for this peer.
class AnswerHandler : public RequestHandler {
 public:
  AnswerHandler(std::shared_ptr<const RequestServer::Answer> answer, std::string peer)
      : answer_(std::move(answer)), peer_(std::move(peer)) {}
  RequestReply answer(const ipc::Frame& request) override {
    return {(*answer_)(request, peer_)};
  }

 private:
  std::shared_ptr<const RequestServer::Answer> answer_;
  std::string peer_;
};

}  // namespace

class RequestSession {
 public:
  RequestSession(RequestServer& server, event_base* base, Connection conn,
                 std::unique_ptr<RequestHandler> handler, std::chrono::seconds timeout)
      : server_(server), conn_(std::move(conn)), handler_(std::move(handler)) {
    if (evutil_make_socket_nonblocking(conn_.fd) == 0) {
      bev_ = bufferevent_socket_new(base, conn_.fd, BEV_OPT_CLOSE_ON_FREE);
      // A plain libevent timer rather than a loop::Event: the session may
      // end (and free it) from inside its callback.
      holdTimer_ = evtimer_new(base, &RequestSession::onHoldTimer, this);
    }
    if (bev_ == nullptr || holdTimer_ == nullptr) {
      log::warning("cannot set up a session for %s; dropping it", conn_.peer.c_str());
      if (bev_ == nullptr) ::close(conn_.fd);
      return;
    }
    bufferevent_setcb(bev_, &RequestSession::onRead, &RequestSession::onWrite,
                      &RequestSession::onEvent, this);
    const timeval tv{static_cast<time_t>(timeout.count()), 0};
    bufferevent_set_timeouts(bev_, &tv, &tv);
    bufferevent_enable(bev_, EV_READ | EV_WRITE);
  }

  ~RequestSession() {
    server_.forget(this);
    if (holdTimer_ != nullptr) event_free(holdTimer_);
    if (bev_ != nullptr) bufferevent_free(bev_);  // closes the fd
    if (conn_.done) conn_.done();
  }

  RequestSession(const RequestSession&) = delete;
  RequestSession& operator=(const RequestSession&) = delete;

  bool ok() const { return bev_ != nullptr && holdTimer_ != nullptr; }

  // Ends the session once the replies already made (a held one too) are
  // written.
  void finish() {
    closing_ = true;
    if (holding_) return;  // the held reply goes out first
    bufferevent_disable(bev_, EV_READ);
    if (evbuffer_get_length(bufferevent_get_output(bev_)) == 0) delete this;
  }

 private:
  static void onRead(bufferevent*, void* arg) { static_cast<RequestSession*>(arg)->readable(); }
  static void onWrite(bufferevent*, void* arg) { static_cast<RequestSession*>(arg)->drained(); }
  static void onEvent(bufferevent*, short what, void* arg) {
    static_cast<RequestSession*>(arg)->event(what);
  }
  static void onHoldTimer(evutil_socket_t, short, void* arg) {
    static_cast<RequestSession*>(arg)->release();
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

  // Answers every whole request already read, unless a reply is held back
  // or the client is behind on reading replies.
  void answerPending() {
    evbuffer* out = bufferevent_get_output(bev_);
    while (!holding_ && !closing_ && evbuffer_get_length(out) < kMaxPendingOutput) {
      auto frame = reader_.next();
      if (!frame) break;
      if (frame->fd >= 0) ::close(frame->fd);
      RequestReply reply = handler_->answer(*frame);
      if (reply.delay.count() > 0) {
        hold(std::move(reply));
        break;
      }
      evbuffer_add(out, reply.frame.data(), reply.frame.size());
    }
    if (evbuffer_get_length(out) >= kMaxPendingOutput &&
        (bufferevent_get_enabled(bev_) & EV_READ)) {
      log::debug("%s is not reading its replies: pausing it", conn_.peer.c_str());
      bufferevent_disable(bev_, EV_READ);
    }
  }

  void hold(RequestReply reply) {
    held_ = std::move(reply.frame);
    holding_ = true;
    const auto ms = reply.delay.count();
    const timeval tv{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>(ms % 1000 * 1000)};
    evtimer_add(holdTimer_, &tv);
  }

  // The held reply's time has come: send it, then go on with the requests
  // that came meanwhile.
  void release() {
    holding_ = false;
    evbuffer_add(bufferevent_get_output(bev_), held_.data(), held_.size());
    held_.clear();
    if (closing_) {
      finish();
      return;
    }
    try {
      answerPending();
    } catch (const std::exception& e) {
      drop(e.what());
    }
  }

  // Every reply written: resume a paused client, or end a closing session.
  void drained() {
    if (closing_) {
      if (!holding_) delete this;
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
      log::debug("connection error from %s: %s", conn_.peer.c_str(), std::strerror(errno));
    }
    delete this;
  }

  void drop(const char* why) {
    log::warning("malformed request from %s: %s; dropping the connection", conn_.peer.c_str(),
                 why);
    delete this;
  }

  RequestServer& server_;
  Connection conn_;
  std::unique_ptr<RequestHandler> handler_;
  bufferevent* bev_ = nullptr;
  ::event* holdTimer_ = nullptr;
  ipc::FrameReader reader_;
  bool closing_ = false;
  bool holding_ = false;  // held_ waits for holdTimer_
  std::string held_;
};

RequestServer::RequestServer(Answer answer, std::chrono::seconds clientTimeout)
    : RequestServer(
          [shared = std::make_shared<const Answer>(std::move(answer))](const std::string& peer) {
            return std::make_unique<AnswerHandler>(shared, peer);
          },
          clientTimeout) {}

RequestServer::RequestServer(NewHandler newHandler, std::chrono::seconds clientTimeout)
    : newHandler_(std::move(newHandler)), clientTimeout_(clientTimeout) {}

RequestServer::~RequestServer() = default;

void RequestServer::stopOnSignals(event_base* base) {
  auto onSignal = [this](int, short) { stop(); };
  sigterm_ = std::make_unique<loop::Event>(base, SIGTERM, loop::kSignal | loop::kPersist, onSignal);
  sigint_ = std::make_unique<loop::Event>(base, SIGINT, loop::kSignal | loop::kPersist, onSignal);
  sigterm_->add();
  sigint_->add();
}

void RequestServer::serve(event_base* base, Connection conn) {
  auto handler = newHandler_(conn.peer);
  auto* session =
      new RequestSession(*this, base, std::move(conn), std::move(handler), clientTimeout_);
  if (!session->ok()) {
    delete session;
    return;
  }
  sessions_.insert(session);  // it lives until its client leaves (or stop())
  if (stopping_) session->finish();
}

void RequestServer::stop() {
  if (!stopping_) {
    log::debug("stopping: closing %zu client connections", sessions_.size());
  }
  stopping_ = true;
  const auto sessions = sessions_;  // finish() may delete, which forgets
  for (auto* session : sessions) session->finish();
}

}  // namespace posthorn::server
