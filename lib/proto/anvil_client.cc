// anvil_client - the client side of the anvil protocol (see anvil_client.h)
#include "lib/proto/anvil_client.h"

#include <utility>

namespace posthorn::anvil {

std::string anvilIdent(std::string_view service, std::string_view address) {
  std::string ident(service);
  ident += ':';
  ident += address;
  return ident;
}

AnvilClient::AnvilClient(std::string socketPath, std::chrono::milliseconds timeout)
    : ServiceClient(std::move(socketPath), "anvil", timeout) {}

ipc::AnvilReply AnvilClient::report(ipc::AnvilEvent event, std::string_view service,
                                    std::string_view address) {
  ipc::AnvilRequest request;
  request.event = event;
  request.ident = anvilIdent(service, address);
  return call<ipc::AnvilReply>(request);
}

}  // namespace posthorn::anvil
