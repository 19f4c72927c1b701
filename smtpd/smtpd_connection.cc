// smtpd_connection - libevent glue between a client socket and its Session
#include "smtpd/smtpd_connection.h"

#include <cstring>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/dns/peer_name.h"
#include "lib/log/log.h"

namespace posthorn::smtpd {

std::string peerAddress(const std::string& peer) {
  if (peer.empty() || peer == "local") return "";
  if (peer.front() == '[') {
    const std::size_t close = peer.find(']');
    return close == std::string::npos ? "" : peer.substr(1, close - 1);
  }
  const std::size_t colon = peer.rfind(':');
  return colon == std::string::npos ? peer : peer.substr(0, colon);
}

std::string peerPort(const std::string& peer) {
  const std::size_t colon = peer.rfind(':');
  if (peer.empty() || peer == "local" || colon == std::string::npos) return "";
  if (peer.front() == '[' && peer.find(']') > colon) return "";
  if (peer.front() != '[' && peer.find(':') != colon) return "";  // a bare IPv6 address
  return peer.substr(colon + 1);
}

// ---------------------------------------------------------------- life cycle

void SmtpConnection::serve(event_base* base, server::Connection conn, ConnectionContext& context) {
  Peer peer;
  peer.address = peerAddress(conn.peer);
  peer.port = peerPort(conn.peer);
  const bool local = peer.address.empty();
  if (local) peer.address = "127.0.0.1";  // a unix socket: local
  if (local || !context.settings.peernameLookup || context.dns == nullptr) {
    begin(base, std::move(conn), context, std::move(peer));
    return;
  }
  auto waiting = std::make_shared<server::Connection>(std::move(conn));
  dns::lookupPeerName(*context.dns, peer.address, [base, waiting, &context, peer](dns::PeerName found) mutable {
    peer.name = found.name;
    peer.reverseName = found.ptrName;
    peer.iprev = found.iprev();
    // Postfix's words, which fail2ban's postfix filter matches.
    if (found.status == dns::PeerName::Status::Mismatch)
      log::warning("hostname %s does not resolve to address %s", found.ptrName.c_str(), peer.address.c_str());
    else if (found.status == dns::PeerName::Status::TempFail)
      log::info("%s: client name lookup: %s", peer.address.c_str(), found.error.c_str());
    begin(base, std::move(*waiting), context, std::move(peer));
  });
}

void SmtpConnection::begin(event_base* base, server::Connection conn, ConnectionContext& context, Peer peer) {
  auto* c = new SmtpConnection(base, std::move(conn), context, std::move(peer));
  const bool wrapper = context.settings.tlsWrapperMode && context.tls != nullptr;
  bufferevent* bev = nullptr;
  try {
    if (evutil_make_socket_nonblocking(c->conn_.fd) != 0) throw std::runtime_error("fcntl failed");
    if (wrapper) {
      bev = tls::acceptSocket(base, c->conn_.fd, *context.tls);
      c->handshaking_ = true;
    } else {
      bev = bufferevent_socket_new(base, c->conn_.fd, BEV_OPT_CLOSE_ON_FREE);
      if (bev == nullptr) throw std::runtime_error("cannot create a bufferevent");
    }
  } catch (const std::exception& e) {
    log::error("%s: %s", c->conn_.peer.c_str(), e.what());
    ::close(c->conn_.fd);
    auto done = c->conn_.done;
    c->finished_ = true;
    delete c;
    done();
    return;
  }
  c->setup(bev);
  c->session_->start(wrapper);
  if (!c->finished_ && c->session_->awaitingGreetWait()) {
    const auto wait = context.settings.greetWait;
    const timeval tv{static_cast<time_t>(wait.count() / 1000),
                     static_cast<suseconds_t>((wait.count() % 1000) * 1000)};
    c->greetTimer_ = evtimer_new(base, greetWaitCb, c);
    if (c->greetTimer_ == nullptr || evtimer_add(c->greetTimer_, &tv) != 0) {
      log::error("%s: cannot schedule the greeting", c->conn_.peer.c_str());
      c->session_->greetWaitOver();
    }
  }
}

SmtpConnection::SmtpConnection(event_base* base, server::Connection conn,
                               ConnectionContext& context, Peer peer)
    : base_(base), conn_(std::move(conn)), context_(context) {
  const bool starttls = context_.tls != nullptr && !context_.settings.tlsWrapperMode;
  session_ = std::make_unique<Session>(context_.settings, context_.policy, context_.sinks, *this,
                                       std::move(peer), starttls, context_.auth);
  session_->setSenderChecks(context_.senderChecks);
  session_->setDmarcHistory(context_.dmarcHistory);
  session_->setLimits(context_.limits);
}

SmtpConnection::~SmtpConnection() {
  if (greetTimer_ != nullptr) event_free(greetTimer_);
}

void SmtpConnection::setup(bufferevent* bev) {
  bev_ = bev;
  bufferevent_setcb(bev_, readCb, writeCb, eventCb, this);
  const timeval tv{static_cast<time_t>(context_.settings.timeout.count()), 0};
  bufferevent_set_timeouts(bev_, &tv, &tv);
  bufferevent_enable(bev_, EV_READ | EV_WRITE);
}

void SmtpConnection::underlyingDrainedCb(evbuffer* buffer, const evbuffer_cb_info*, void* self) {
  auto* conn = static_cast<SmtpConnection*>(self);
  if (evbuffer_get_length(buffer) == 0 && !conn->finished_) conn->defer(kFinish);
}

void SmtpConnection::finish() {
  if (finished_) return;
  finished_ = true;
  if (watchingUnderlying_ && bev_ != nullptr) {
    if (bufferevent* under = bufferevent_get_underlying(bev_))
      evbuffer_remove_cb(bufferevent_get_output(under), underlyingDrainedCb, this);
  }
  session_->closed();
  if (bev_ != nullptr) bufferevent_free(bev_);  // closes the socket
  bev_ = nullptr;
  auto done = conn_.done;
  if (!deferredArmed_) delete this;  // else runDeferred() deletes it
  done();
}

void SmtpConnection::defer(Deferred action) {
  deferred_ |= action;
  if (deferredArmed_) return;
  const timeval now{0, 0};
  if (event_base_once(base_, -1, EV_TIMEOUT, deferredCb, this, &now) == 0) {
    deferredArmed_ = true;
  } else {
    log::error("%s: cannot schedule an event", conn_.peer.c_str());
  }
}

void SmtpConnection::runDeferred() {
  deferredArmed_ = false;
  if (finished_) {
    delete this;
    return;
  }
  const unsigned actions = deferred_;
  deferred_ = 0;
  if (actions & kFinish) {
    finish();
    return;
  }
  if (actions & kStartTls) beginTls();
}

// ---------------------------------------------------------------- SessionIo

void SmtpConnection::send(std::string_view bytes) {
  if (finished_ || bev_ == nullptr) return;
  evbuffer_add(bufferevent_get_output(bev_), bytes.data(), bytes.size());
}

void SmtpConnection::startTls() {
  // No more plaintext is read: what the client sends next is its TLS
  // ClientHello, and must reach the TLS layer untouched.
  bufferevent_disable(bev_, EV_READ);
  handshaking_ = true;
  defer(kStartTls);
}

void SmtpConnection::close() {
  if (closing_) return;
  closing_ = true;
  if (bev_ == nullptr) return;
  bufferevent_disable(bev_, EV_READ);
  // Nothing to flush: finish from the loop, not from inside the caller.
  if (evbuffer_get_length(bufferevent_get_output(bev_)) == 0) finishWhenFlushed();
}

void SmtpConnection::finishWhenFlushed() {
  // Over TLS (a filter on the socket's bufferevent), "written" means
  // encrypted into the socket's bufferevent: wait until that one has sent
  // it too, or the last reply (221 after QUIT) is lost with the connection.
  bufferevent* under = bufferevent_get_underlying(bev_);
  if (under != nullptr && evbuffer_get_length(bufferevent_get_output(under)) > 0) {
    if (!watchingUnderlying_) {
      watchingUnderlying_ = true;
      evbuffer_add_cb(bufferevent_get_output(under), underlyingDrainedCb, this);
    }
    return;
  }
  defer(kFinish);
}

// ---------------------------------------------------------------- events

void SmtpConnection::beginTls() {
  if (finished_ || closing_) return;
  bufferevent* plain = bev_;
  bufferevent* secure = nullptr;
  try {
    secure = tls::startServer(base_, plain, *context_.tls);
  } catch (const tls::TlsError& e) {
    session_->tlsFailed(e.what());
    finish();
    return;
  }
  setup(secure);
  bufferevent_enable(plain, EV_READ | EV_WRITE);
}

void SmtpConnection::onRead() {
  // Bytes the TLS layer decrypted before it reported the handshake done
  // (a client's EHLO right behind its Finished) wait for the session to
  // leave its handshake mode: see onEvent.
  if (handshaking_) return;
  evbuffer* in = bufferevent_get_input(bev_);
  const std::size_t n = evbuffer_get_length(in);
  if (n == 0) return;
  std::string data(n, '\0');
  evbuffer_remove(in, data.data(), n);
  session_->receive(data);
  if (finished_ || closing_ || handshaking_) return;
  if (evbuffer_get_length(bufferevent_get_output(bev_)) > kMaxOutput) {
    bufferevent_disable(bev_, EV_READ);
    throttled_ = true;
  }
}

void SmtpConnection::onWrite() {
  if (closing_) {
    if (bufferevent_get_underlying(bev_) != nullptr) finishWhenFlushed();
    else finish();
    return;
  }
  if (throttled_) {
    throttled_ = false;
    bufferevent_enable(bev_, EV_READ);
  }
}

void SmtpConnection::onEvent(short what) {
  if (what & BEV_EVENT_CONNECTED) {
    handshaking_ = false;
    const tls::SessionInfo info = tls::sessionInfo(tls::sslOf(bev_));
    session_->tlsEstablished(TlsState{info.protocol, info.cipher, info.describe()});
    if (!finished_ && evbuffer_get_length(bufferevent_get_input(bev_)) > 0) onRead();
    return;
  }
  if (handshaking_ && (what & (BEV_EVENT_ERROR | BEV_EVENT_EOF | BEV_EVENT_TIMEOUT))) {
    session_->tlsFailed((what & BEV_EVENT_TIMEOUT) ? std::string("timeout")
                                                   : tls::bufferEventError(bev_, "connection closed"));
    finish();
    return;
  }
  if ((what & BEV_EVENT_TIMEOUT) && (what & BEV_EVENT_READING) && !closing_) {
    session_->timedOut();  // 421, then close() flushes it
    return;
  }
  // EOF, an error, a write timeout (the client stopped reading), or a read
  // timeout while we were only flushing: the client is gone.
  finish();
}

void SmtpConnection::readCb(bufferevent*, void* self) { static_cast<SmtpConnection*>(self)->onRead(); }
void SmtpConnection::writeCb(bufferevent*, void* self) { static_cast<SmtpConnection*>(self)->onWrite(); }
void SmtpConnection::eventCb(bufferevent*, short what, void* self) {
  static_cast<SmtpConnection*>(self)->onEvent(what);
}
void SmtpConnection::deferredCb(int, short, void* self) {
  static_cast<SmtpConnection*>(self)->runDeferred();
}
void SmtpConnection::greetWaitCb(int, short, void* self) {
  auto* conn = static_cast<SmtpConnection*>(self);
  if (conn->finished_ || conn->closing_) return;
  conn->session_->greetWaitOver();
}

}  // namespace posthorn::smtpd
