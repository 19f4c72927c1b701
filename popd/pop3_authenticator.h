// pop3_authenticator - popd's names for the login stage's SASL conversation with authd
#pragma once

#include "lib/proto/sasl_authenticator.h"

namespace posthorn::popd {

using Pop3Authenticator = passdb::SaslAuthenticator;
using PassdbAuthenticator = passdb::PassdbAuthenticator;

}  // namespace posthorn::popd
