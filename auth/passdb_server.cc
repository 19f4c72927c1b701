// passdb_server - one libevent session per authd passdb client (see passdb_server.h)
#include "auth/passdb_server.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>
#include <openssl/rand.h>
#include <signal.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <string>
#include <utility>

#include "lib/ipc/ipc.h"
#include "lib/log/log.h"
#include "lib/proto/proto_passdb.h"

namespace posthorn::auth {

namespace {

// A user name as it may appear in a log line: printable ASCII, at most 64.
std::string printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (out.size() >= 64) {
      out += "...";
      break;
    }
    out += (c < 0x21 || c > 0x7e || c == '>' || c == '"') ? '?' : static_cast<char>(c);
  }
  return out;
}

}  // namespace

class PassdbSession {
 public:
  PassdbSession(PassdbServer& server, event_base* base, server::Connection conn,
                std::chrono::seconds timeout)
      : server_(server), base_(base), conn_(std::move(conn)) {
    if (evutil_make_socket_nonblocking(conn_.fd) == 0) {
      bev_ = bufferevent_socket_new(base, conn_.fd, BEV_OPT_CLOSE_ON_FREE);
    }
    if (bev_ == nullptr) {
      log::warning("cannot set up a session for %s; dropping it", conn_.peer.c_str());
      ::close(conn_.fd);
      return;
    }
    bufferevent_setcb(bev_, &PassdbSession::onRead, &PassdbSession::onWrite,
                      &PassdbSession::onEvent, this);
    const timeval tv{static_cast<time_t>(timeout.count()), 0};
    bufferevent_set_timeouts(bev_, &tv, nullptr);
    bufferevent_enable(bev_, EV_READ | EV_WRITE);
  }

  ~PassdbSession() {
    server_.forget(this);
    timer_.reset();
    if (bev_ != nullptr) bufferevent_free(bev_);
    if (conn_.done) conn_.done();
  }

  PassdbSession(const PassdbSession&) = delete;
  PassdbSession& operator=(const PassdbSession&) = delete;

  bool ok() const { return bev_ != nullptr; }

  void finish() {
    closing_ = true;
    if (timer_) return;  // the held-back answer goes out first
    bufferevent_disable(bev_, EV_READ);
    if (evbuffer_get_length(bufferevent_get_output(bev_)) == 0) delete this;
  }

 private:
  static void onRead(bufferevent*, void* arg) { static_cast<PassdbSession*>(arg)->readable(); }
  static void onWrite(bufferevent*, void* arg) { static_cast<PassdbSession*>(arg)->drained(); }
  static void onEvent(bufferevent*, short what, void* arg) {
    static_cast<PassdbSession*>(arg)->event(what);
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

  void answerPending() {
    while (!timer_ && !closing_) {
      auto frame = reader_.next();
      if (!frame) break;
      if (frame->fd >= 0) ::close(frame->fd);
      if (frame->type == static_cast<std::uint32_t>(ipc::MsgType::PassdbAuth)) {
        begin(ipc::decode<ipc::PassdbAuth>(*frame));
      } else if (frame->type == static_cast<std::uint32_t>(ipc::MsgType::PassdbContinue)) {
        auto cont = ipc::decode<ipc::PassdbContinue>(*frame);
        proceed(cont.response);
        std::memset(cont.response.data(), 0, cont.response.size());
      } else {
        throw ipc::ProtocolError("unexpected message " + ipc::msgTypeName(frame->type));
      }
    }
  }

  void begin(ipc::PassdbAuth request) {
    request_ = std::move(request);
    std::memset(request.initialResponse.data(), 0, request.initialResponse.size());
    conversation_.reset();
    const auto now = AuthThrottle::Clock::now();
    std::string why;
    if (server_.throttle().locked(request_.clientAddress, "", now, &why)) {
      refuseLocked("", why);
      return;
    }
    conversation_ = SaslConversation::create(request_.mechanism, server_.db(), request_.service,
                                             server_.fakeKey());
    if (!conversation_) {
      ipc::PassdbReply reply;
      reply.status = ipc::PassdbStatus::Fail;
      reply.reason = "unsupported mechanism " + printable(request_.mechanism);
      send(reply);
      return;
    }
    std::optional<std::string> initial;
    if (request_.hasInitialResponse) initial = request_.initialResponse;
    std::memset(request_.initialResponse.data(), 0, request_.initialResponse.size());
    handle(conversation_->start(initial));
  }

  void proceed(const std::string& response) {
    if (!conversation_) {
      ipc::PassdbReply reply;
      reply.status = ipc::PassdbStatus::Fail;
      reply.reason = "no conversation in progress";
      send(reply);
      return;
    }
    handle(conversation_->next(response));
  }

  void handle(const SaslConversation::Step& step) {
    auto& throttle = server_.throttle();
    const auto now = AuthThrottle::Clock::now();
    const std::string account = conversation_->login();
    const std::string& rip = request_.clientAddress;
    ipc::PassdbReply reply;
    std::string why;
    if (step.kind != SaslConversation::Kind::Continue && !account.empty() &&
        throttle.locked(rip, account, now, &why)) {
      refuseLocked(account, why);
      return;
    }
    switch (step.kind) {
      case SaslConversation::Kind::Continue:
        reply.status = ipc::PassdbStatus::Continue;
        reply.challenge = step.challenge;
        send(reply);
        return;
      case SaslConversation::Kind::TempFail:
        log::warning("SASL authentication temporarily failed: service=%s mech=%s user=<%s> "
                     "rip=%s reason=\"%s\"",
                     service(), mech(), printable(account).c_str(), rip.c_str(),
                     step.reason.c_str());
        reply.status = ipc::PassdbStatus::TempFail;
        reply.reason = step.reason;
        conversation_.reset();
        send(reply);
        return;
      case SaslConversation::Kind::Ok: {
        const auto delay = throttle.delay(rip, account, false, now);
        throttle.success(rip, account);
        if (account != step.user) throttle.success(rip, step.user);
        log::info("SASL authentication succeeded: service=%s mech=%s user=<%s> rip=%s tls=%s",
                  service(), mech(), printable(step.user).c_str(), rip.c_str(),
                  request_.tls ? "yes" : "no");
        reply.status = ipc::PassdbStatus::Ok;
        reply.user = step.user;
        conversation_.reset();
        sendAfter(reply, delay);
        return;
      }
      case SaslConversation::Kind::Fail: {
        const auto delay = throttle.delay(rip, account, true, now);
        const int failures = throttle.failure(rip, account, now);
        log::warning("SASL authentication failed: service=%s mech=%s user=<%s> rip=%s tls=%s "
                     "reason=\"%s\" failures=%d delay=%lldms",
                     service(), mech(), printable(account).c_str(), rip.c_str(),
                     request_.tls ? "yes" : "no", step.reason.c_str(), failures,
                     static_cast<long long>(delay.count()));
        const int threshold = throttle.settings().clientLockoutThreshold;
        if (threshold > 0 && failures == threshold) {
          log::warning("SASL client locked out: rip=%s failures=%d for %llds", rip.c_str(),
                       failures, static_cast<long long>(throttle.settings().lockoutTime.count()));
        }
        reply.status = ipc::PassdbStatus::Fail;
        reply.reason = step.reason;
        conversation_.reset();
        sendAfter(reply, delay);
        return;
      }
    }
  }

  void refuseLocked(const std::string& account, const std::string& why) {
    log::warning("SASL authentication refused: service=%s mech=%s user=<%s> rip=%s reason=\"%s\"",
                 service(), mech(), printable(account).c_str(),
                 request_.clientAddress.c_str(), why.c_str());
    ipc::PassdbReply reply;
    reply.status = ipc::PassdbStatus::Locked;
    reply.reason = why;
    conversation_.reset();
    send(reply);
  }

  const char* service() const {
    return request_.service.empty() ? "?" : request_.service.c_str();
  }
  std::string mechText_;
  const char* mech() {
    mechText_ = printable(request_.mechanism);
    return mechText_.c_str();
  }

  void send(const ipc::PassdbReply& reply) {
    const std::string bytes = ipc::encodeFrame(reply);
    bufferevent_write(bev_, bytes.data(), bytes.size());
  }

  void sendAfter(const ipc::PassdbReply& reply, std::chrono::milliseconds delay) {
    if (delay.count() <= 0) {
      send(reply);
      return;
    }
    held_ = reply;
    timer_ = std::make_unique<loop::Event>(base_, -1, loop::kTimeout, [this](int, short) {
      send(held_);
      held_ = ipc::PassdbReply();
      // Destroying the timer from inside its own callback is not allowed:
      // release it after the callback (see onWrite/readable below).
      released_ = std::move(timer_);
      if (closing_) {
        finish();
        return;
      }
      try {
        answerPending();
      } catch (const std::exception& e) {
        drop(e.what());
      }
    });
    timer_->add(delay);
  }

  void drained() {
    released_.reset();
    if (closing_ && !timer_) delete this;
  }

  void event(short what) {
    if (what & BEV_EVENT_TIMEOUT) {
      log::debug("timeout after read from %s", conn_.peer.c_str());
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

  PassdbServer& server_;
  event_base* base_;
  server::Connection conn_;
  bufferevent* bev_ = nullptr;
  ipc::FrameReader reader_;
  bool closing_ = false;
  ipc::PassdbAuth request_;
  std::unique_ptr<SaslConversation> conversation_;
  std::unique_ptr<loop::Event> timer_;
  std::unique_ptr<loop::Event> released_;
  ipc::PassdbReply held_;
};

PassdbServer::PassdbServer(PasswordDatabase& db, ThrottleSettings throttle,
                           std::chrono::seconds clientTimeout)
    : db_(db), throttle_(throttle), clientTimeout_(clientTimeout), fakeKey_(32, '\0') {
  if (RAND_bytes(reinterpret_cast<unsigned char*>(fakeKey_.data()),
                 static_cast<int>(fakeKey_.size())) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
}

PassdbServer::~PassdbServer() = default;

void PassdbServer::stopOnSignals(event_base* base) {
  auto onSignal = [this](int, short) { stop(); };
  sigterm_ = std::make_unique<loop::Event>(base, SIGTERM, loop::kSignal | loop::kPersist, onSignal);
  sigint_ = std::make_unique<loop::Event>(base, SIGINT, loop::kSignal | loop::kPersist, onSignal);
  sigterm_->add();
  sigint_->add();
}

void PassdbServer::serve(event_base* base, server::Connection conn) {
  auto* session = new PassdbSession(*this, base, std::move(conn), clientTimeout_);
  if (!session->ok()) {
    delete session;
    return;
  }
  sessions_.insert(session);
  if (stopping_) session->finish();
}

void PassdbServer::stop() {
  stopping_ = true;
  const auto sessions = sessions_;
  for (auto* session : sessions) session->finish();
}

}  // namespace posthorn::auth
