// smtpd_authenticator - SASL steps through authd's passdb socket (see smtpd_authenticator.h)
#include "smtpd/smtpd_authenticator.h"

namespace posthorn::smtpd {

ipc::PassdbReply PassdbAuthenticator::start(const ipc::PassdbAuth& request) {
  try {
    return client_.start(request);
  } catch (const passdb::PassdbError& e) {
    throw AuthUnavailable(e.what());
  }
}

ipc::PassdbReply PassdbAuthenticator::next(const std::string& response) {
  try {
    return client_.next(response);
  } catch (const passdb::PassdbError& e) {
    throw AuthUnavailable(e.what());
  }
}

}  // namespace posthorn::smtpd
