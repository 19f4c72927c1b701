// userdb_server - authd's answer to one userdb lookup frame (see userdb_server.h)
#include "auth/userdb_server.h"

#include <string>

#include "auth/userdb.h"
#include "lib/ipc/ipc.h"
#include "lib/log/log.h"
#include "lib/proto/proto_userdb.h"

namespace posthorn::auth {

namespace {

// Looks the address up and logs the outcome.
ipc::UserdbReply lookup(Userdb& userdb, const ipc::UserdbLookup& request) {
  ipc::UserdbReply reply = userdb.lookup(request.address);
  const char* service = request.service.empty() ? "?" : request.service.c_str();
  switch (reply.status) {
    case ipc::UserdbStatus::Found:
      log::debug("userdb %s (for %s): found %s in %s, uid %u", request.address.c_str(), service,
                 reply.user.name.c_str(),
                 std::string(ipc::userSourceName(reply.user.source)).c_str(),
                 static_cast<unsigned>(reply.user.uid));
      break;
    case ipc::UserdbStatus::NotFound:
      log::debug("userdb %s (for %s): not found", request.address.c_str(), service);
      break;
    case ipc::UserdbStatus::TempFail:
      log::warning("userdb lookup of %s for %s failed temporarily: %s", request.address.c_str(),
                   service, reply.reason.c_str());
      break;
  }
  return reply;
}

// The reply's frame; one too long for a frame becomes a TempFail.
std::string replyBytes(const ipc::UserdbReply& reply) {
  try {
    return ipc::encodeFrame(reply);
  } catch (const ipc::ProtocolError& e) {
    log::warning("reply for %s too long: %s", reply.user.name.c_str(), e.what());
    ipc::UserdbReply fail;
    fail.status = ipc::UserdbStatus::TempFail;
    fail.reason = "reply too long";
    return ipc::encodeFrame(fail);
  }
}

}  // namespace

server::RequestServer::Answer userdbAnswer(Userdb& userdb) {
  return [&userdb](const ipc::Frame& frame, const std::string&) {
    return replyBytes(lookup(userdb, ipc::decode<ipc::UserdbLookup>(frame)));
  };
}

}  // namespace posthorn::auth
