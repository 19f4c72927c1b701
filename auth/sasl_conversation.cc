// sasl_conversation - the PLAIN, LOGIN and SCRAM-SHA-256 state machines (see sasl_conversation.h)
#include "auth/sasl_conversation.h"

#include <cstring>

namespace posthorn::auth {

namespace {

constexpr std::size_t kMaxField = 1024;

void wipe(std::string& s) {
  if (!s.empty()) std::memset(s.data(), 0, s.size());
}

// PLAIN and LOGIN: the client sends the password itself; it is checked by
// the database and wiped.
class PasswordConversation : public SaslConversation {
 public:
  PasswordConversation(PasswordDatabase& db, std::string service)
      : db_(db), service_(std::move(service)) {}

 protected:
  Step check(std::string& password) {
    const auto r = db_.checkPassword(login_, password, service_);
    wipe(password);
    return finish(r);
  }

 private:
  PasswordDatabase& db_;
  std::string service_;
};

class PlainConversation : public PasswordConversation {
 public:
  using PasswordConversation::PasswordConversation;

  Step start(const std::optional<std::string>& initial) override {
    if (!initial) return challenge("");
    return next(*initial);
  }

  Step next(const std::string& response) override {
    const auto first = response.find('\0');
    const auto second =
        first == std::string::npos ? std::string::npos : response.find('\0', first + 1);
    if (second == std::string::npos || response.find('\0', second + 1) != std::string::npos) {
      return fail("malformed PLAIN message");
    }
    const std::string authzid = response.substr(0, first);
    login_ = response.substr(first + 1, second - first - 1);
    std::string password = response.substr(second + 1);
    if (login_.empty() || login_.size() > kMaxField || password.size() > kMaxField) {
      wipe(password);
      return fail("malformed PLAIN message");
    }
    if (!authzid.empty() && authzid != login_) {
      wipe(password);
      return fail("authorization identity " + authzid + " not allowed");
    }
    return check(password);
  }
};

class LoginConversation : public PasswordConversation {
 public:
  using PasswordConversation::PasswordConversation;

  Step start(const std::optional<std::string>& initial) override {
    if (!initial || initial->empty()) return challenge("Username:");
    return next(*initial);
  }

  Step next(const std::string& response) override {
    if (!haveUser_) {
      if (response.empty() || response.size() > kMaxField ||
          response.find('\0') != std::string::npos) {
        return fail("malformed LOGIN user name");
      }
      login_ = response;
      haveUser_ = true;
      return challenge("Password:");
    }
    std::string password = response;
    if (password.size() > kMaxField) {
      wipe(password);
      return fail("password too long");
    }
    return check(password);
  }

 private:
  bool haveUser_ = false;
};

class ScramConversation : public SaslConversation {
 public:
  ScramConversation(PasswordDatabase& db, std::string fakeKey)
      : db_(db), scram_(std::move(fakeKey)) {}

  Step start(const std::optional<std::string>& initial) override {
    if (!initial || initial->empty()) return challenge("");
    return next(*initial);
  }

  Step next(const std::string& response) override {
    switch (state_) {
      case State::First: {
        if (response.size() > 4 * kMaxField || !scram_.clientFirst(response)) {
          return fail(scram_.error().empty() ? "malformed client-first-message" : scram_.error());
        }
        login_ = scram_.user();
        if (!scram_.authzid().empty() && scram_.authzid() != login_) {
          return fail("authorization identity " + scram_.authzid() + " not allowed");
        }
        lookup_ = db_.scramVerifier(login_);
        if (lookup_.status == PasswordDatabase::Status::TempFail) {
          Step s;
          s.kind = Kind::TempFail;
          s.reason = lookup_.reason;
          return s;
        }
        state_ = State::Final;
        return challenge(scram_.serverFirst(lookup_.verifier));
      }
      case State::Final: {
        state_ = State::Done;
        if (response.size() > 4 * kMaxField) return fail("client-final-message too long");
        auto serverFinal = scram_.clientFinal(response);
        if (lookup_.status != PasswordDatabase::Status::Ok) {
          return fail(lookup_.reason.empty() ? "unknown user" : lookup_.reason);
        }
        if (!serverFinal) return fail(scram_.error());
        state_ = State::Ack;
        return challenge(*serverFinal);
      }
      case State::Ack: {
        state_ = State::Done;
        if (!response.empty()) return fail("unexpected data after server-final-message");
        PasswordDatabase::Result ok;
        ok.status = PasswordDatabase::Status::Ok;
        ok.user = lookup_.user;
        return finish(ok);
      }
      case State::Done:
        break;
    }
    return fail("conversation already finished");
  }

 private:
  enum class State { First, Final, Ack, Done };
  PasswordDatabase& db_;
  ScramServer scram_;
  State state_ = State::First;
  PasswordDatabase::ScramLookup lookup_;
};

}  // namespace

SaslConversation::Step SaslConversation::finish(const PasswordDatabase::Result& r) {
  Step s;
  switch (r.status) {
    case PasswordDatabase::Status::Ok:
      s.kind = Kind::Ok;
      s.user = r.user;
      break;
    case PasswordDatabase::Status::Fail:
      s.kind = Kind::Fail;
      s.reason = r.reason;
      break;
    case PasswordDatabase::Status::TempFail:
      s.kind = Kind::TempFail;
      s.reason = r.reason;
      break;
  }
  return s;
}

std::unique_ptr<SaslConversation> SaslConversation::create(std::string_view mechanism,
                                                           PasswordDatabase& db,
                                                           std::string service,
                                                           std::string fakeKey) {
  if (mechanism == "PLAIN") return std::make_unique<PlainConversation>(db, std::move(service));
  if (mechanism == "LOGIN") return std::make_unique<LoginConversation>(db, std::move(service));
  if (mechanism == "SCRAM-SHA-256") return std::make_unique<ScramConversation>(db, std::move(fakeKey));
  return nullptr;
}

}  // namespace posthorn::auth
