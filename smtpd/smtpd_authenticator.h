// smtpd_authenticator - the real Authenticator: authd's passdb over lib/passdb_client
#pragma once

#include <string>

#include "lib/proto/passdb_client.h"
#include "smtpd/smtpd_services.h"

namespace posthorn::smtpd {

class PassdbAuthenticator : public Authenticator {
 public:
  explicit PassdbAuthenticator(const std::string& socketPath) : client_(socketPath) {}
  ipc::PassdbReply start(const ipc::PassdbAuth& request) override;
  ipc::PassdbReply next(const std::string& response) override;

 private:
  passdb::PassdbClient client_;
};

}  // namespace posthorn::smtpd
