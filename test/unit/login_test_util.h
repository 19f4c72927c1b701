// login_test_util - authd's passdb as a script, for the login stages' unit tests
//
// "alice"/"secret" over PLAIN (a PLAIN without an initial response gets an
// empty challenge), "temp" a temporary failure, "locked" locked out, and
// a one-round fake SCRAM-SHA-256 that answers "challenge" and accepts
// "proof". The last request is kept, so tests check what authd was told.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "lib/proto/sasl_authenticator.h"

namespace posthorn::login::testing {

class FakePassdb : public passdb::SaslAuthenticator {
 public:
  std::vector<std::string> mechanisms() const override { return {"SCRAM-SHA-256", "PLAIN", "LOGIN"}; }

  ipc::PassdbReply start(const ipc::PassdbAuth& r) override {
    if (down) throw std::runtime_error("authd unreachable");
    last = r;
    ipc::PassdbReply reply;
    if (r.mechanism == "SCRAM-SHA-256") {
      reply.status = ipc::PassdbStatus::Continue;
      reply.challenge = "challenge";
      return reply;
    }
    if (r.mechanism == "PLAIN" && !r.hasInitialResponse) {
      reply.status = ipc::PassdbStatus::Continue;
      return reply;
    }
    return r.mechanism == "PLAIN" ? plain(r.initialResponse) : fail();
  }

  ipc::PassdbReply next(const std::string& response) override {
    if (down) throw std::runtime_error("authd unreachable");
    if (last.mechanism == "PLAIN") return plain(response);
    ipc::PassdbReply reply;
    reply.status = response == "proof" ? ipc::PassdbStatus::Ok : ipc::PassdbStatus::Fail;
    reply.user = "alice@example.com";
    return reply;
  }

  bool down = false;
  ipc::PassdbAuth last;

 private:
  static ipc::PassdbReply fail() {
    ipc::PassdbReply reply;
    reply.status = ipc::PassdbStatus::Fail;
    return reply;
  }
  static ipc::PassdbReply plain(const std::string& ir) {
    ipc::PassdbReply reply = fail();
    if (ir == std::string("\0alice\0secret", 13)) {
      reply.status = ipc::PassdbStatus::Ok;
      reply.user = "alice@example.com";
    } else if (ir == std::string("\0temp\0x", 7)) {
      reply.status = ipc::PassdbStatus::TempFail;
    } else if (ir == std::string("\0locked\0x", 9)) {
      reply.status = ipc::PassdbStatus::Locked;
    }
    return reply;
  }
};

}  // namespace posthorn::login::testing
