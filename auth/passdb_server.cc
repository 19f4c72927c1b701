// passdb_server - a SASL conversation per authd passdb client (see passdb_server.h)
#include "auth/passdb_server.h"

#include <openssl/rand.h>

#include <cstdlib>
#include <cstring>
#include <optional>
#include <stdexcept>
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

class PassdbSession : public server::RequestHandler {
 public:
  explicit PassdbSession(PassdbService& service) : service_(service) {}

  server::RequestReply answer(const ipc::Frame& frame) override {
    if (frame.type == static_cast<std::uint32_t>(ipc::MsgType::PassdbAuth)) {
      return begin(ipc::decode<ipc::PassdbAuth>(frame));
    }
    if (frame.type == static_cast<std::uint32_t>(ipc::MsgType::PassdbContinue)) {
      auto cont = ipc::decode<ipc::PassdbContinue>(frame);
      server::RequestReply reply = proceed(cont.response);
      std::memset(cont.response.data(), 0, cont.response.size());
      return reply;
    }
    throw ipc::ProtocolError("unexpected message " + ipc::msgTypeName(frame.type));
  }

 private:
  server::RequestReply begin(ipc::PassdbAuth request) {
    request_ = std::move(request);
    std::memset(request.initialResponse.data(), 0, request.initialResponse.size());
    conversation_.reset();
    const auto now = AuthThrottle::Clock::now();
    std::string why;
    if (service_.throttle().locked(request_.clientAddress, "", now, &why)) {
      return refuseLocked("", why);
    }
    conversation_ = SaslConversation::create(request_.mechanism, service_.db(), request_.service,
                                             service_.fakeKey());
    if (!conversation_) {
      ipc::PassdbReply reply;
      reply.status = ipc::PassdbStatus::Fail;
      reply.reason = "unsupported mechanism " + printable(request_.mechanism);
      return send(reply);
    }
    std::optional<std::string> initial;
    if (request_.hasInitialResponse) initial = request_.initialResponse;
    std::memset(request_.initialResponse.data(), 0, request_.initialResponse.size());
    return handle(conversation_->start(initial));
  }

  server::RequestReply proceed(const std::string& response) {
    if (!conversation_) {
      ipc::PassdbReply reply;
      reply.status = ipc::PassdbStatus::Fail;
      reply.reason = "no conversation in progress";
      return send(reply);
    }
    return handle(conversation_->next(response));
  }

  server::RequestReply handle(const SaslConversation::Step& step) {
    auto& throttle = service_.throttle();
    const auto now = AuthThrottle::Clock::now();
    const std::string account = conversation_->login();
    const std::string& rip = request_.clientAddress;
    ipc::PassdbReply reply;
    std::string why;
    if (step.kind != SaslConversation::Kind::Continue && !account.empty() &&
        throttle.locked(rip, account, now, &why)) {
      return refuseLocked(account, why);
    }
    switch (step.kind) {
      case SaslConversation::Kind::Continue:
        reply.status = ipc::PassdbStatus::Continue;
        reply.challenge = step.challenge;
        return send(reply);
      case SaslConversation::Kind::TempFail:
        log::warning("SASL authentication temporarily failed: service=%s mech=%s user=<%s> "
                     "rip=%s reason=\"%s\"",
                     service(), mech(), printable(account).c_str(), rip.c_str(),
                     step.reason.c_str());
        reply.status = ipc::PassdbStatus::TempFail;
        reply.reason = step.reason;
        conversation_.reset();
        return send(reply);
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
        return send(reply, delay);
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
        return send(reply, delay);
      }
    }
    std::abort();  // not a Kind
  }

  server::RequestReply refuseLocked(const std::string& account, const std::string& why) {
    log::warning("SASL authentication refused: service=%s mech=%s user=<%s> rip=%s reason=\"%s\"",
                 service(), mech(), printable(account).c_str(),
                 request_.clientAddress.c_str(), why.c_str());
    ipc::PassdbReply reply;
    reply.status = ipc::PassdbStatus::Locked;
    reply.reason = why;
    conversation_.reset();
    return send(reply);
  }

  const char* service() const {
    return request_.service.empty() ? "?" : request_.service.c_str();
  }
  std::string mechText_;
  const char* mech() {
    mechText_ = printable(request_.mechanism);
    return mechText_.c_str();
  }

  // The reply, sent at once or after `delay` (the throttle's).
  static server::RequestReply send(const ipc::PassdbReply& reply,
                                   std::chrono::milliseconds delay = {}) {
    return {ipc::encodeFrame(reply), delay};
  }

  PassdbService& service_;
  ipc::PassdbAuth request_;
  std::unique_ptr<SaslConversation> conversation_;
};

PassdbService::PassdbService(PasswordDatabase& db, ThrottleSettings throttle)
    : db_(db), throttle_(throttle), fakeKey_(32, '\0') {
  if (RAND_bytes(reinterpret_cast<unsigned char*>(fakeKey_.data()),
                 static_cast<int>(fakeKey_.size())) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
}

server::RequestServer::NewHandler PassdbService::sessions() {
  return [this](const std::string&) { return std::make_unique<PassdbSession>(*this); };
}

}  // namespace posthorn::auth
