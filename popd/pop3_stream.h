// pop3_stream - the client's connection as a POP3 session's output
#pragma once

#include "lib/login/client_stream.h"
#include "popd/pop3_output.h"

namespace posthorn::popd {

class ClientStream : public net::ClientStream, public Pop3Output {
 public:
  using net::ClientStream::ClientStream;
  void write(std::string_view bytes) override { net::ClientStream::write(bytes); }
};

}  // namespace posthorn::popd
