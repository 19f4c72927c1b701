// sasl_authenticator - a login stage's view of authd's passdb (a SASL conversation)
//
// PassdbAuthenticator moves the bytes to authd (lib/proto/passdb_client.h);
// unit tests put a fake behind the same interface. Errors reaching authd
// are thrown as std::runtime_error and answered [SYS/TEMP].
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "lib/proto/passdb_client.h"
#include "lib/proto/proto_passdb.h"

namespace posthorn::passdb {

class SaslAuthenticator {
 public:
  virtual ~SaslAuthenticator() = default;
  // Mechanisms authd speaks, in the order offered (upper case).
  virtual std::vector<std::string> mechanisms() const = 0;
  virtual ipc::PassdbReply start(const ipc::PassdbAuth& request) = 0;
  virtual ipc::PassdbReply next(const std::string& response) = 0;
};

class PassdbAuthenticator : public SaslAuthenticator {
 public:
  explicit PassdbAuthenticator(std::string socketPath) : client_(std::move(socketPath)) {}
  std::vector<std::string> mechanisms() const override {
    return {ipc::kPassdbMechanisms.begin(), ipc::kPassdbMechanisms.end()};
  }
  ipc::PassdbReply start(const ipc::PassdbAuth& request) override { return client_.start(request); }
  ipc::PassdbReply next(const std::string& response) override { return client_.next(response); }

 private:
  PassdbClient client_;
};

}  // namespace posthorn::passdb
