// client_tls - TLS on a client's connection (ClientStream::startTls) with
// OpenSSL; apart from lib/login/client_stream.cc so that only the programs that
// start TLS (the login stages) link OpenSSL
#include <openssl/ssl.h>

#include <algorithm>
#include <memory>

#include "lib/login/client_stream.h"

namespace posthorn::net {
namespace {

class OpenSslSession : public ClientStream::Tls {
 public:
  explicit OpenSslSession(ssl_st* ssl) : ssl_(ssl) {}
  ~OpenSslSession() override { SSL_free(ssl_); }
  OpenSslSession(const OpenSslSession&) = delete;
  OpenSslSession& operator=(const OpenSslSession&) = delete;

  long read(char* buf, std::size_t n) override {
    return SSL_read(ssl_, buf, static_cast<int>(std::min<std::size_t>(n, 1 << 30)));
  }
  long write(std::string_view bytes) override {
    return SSL_write(ssl_, bytes.data(),
                     static_cast<int>(std::min<std::size_t>(bytes.size(), 1 << 30)));
  }
  bool pending() const override { return SSL_pending(ssl_) > 0; }
  void shutdown() override { SSL_shutdown(ssl_); }
  std::string describe() const override { return tls::sessionInfo(ssl_).describe(); }
  ssl_st* ssl() const { return ssl_; }

 private:
  ssl_st* ssl_;
};

}  // namespace

bool ClientStream::startTls(const tls::Context& ctx, std::string* error) {
  if (!flush()) {
    *error = "connection lost";
    return false;
  }
  in_.clear();
  discarding_ = false;
  std::unique_ptr<OpenSslSession> session;
  try {
    session = std::make_unique<OpenSslSession>(ctx.newSsl());
  } catch (const tls::TlsError& e) {
    *error = e.what();
    return false;
  }
  SSL_set_fd(session->ssl(), fd_);
  if (SSL_accept(session->ssl()) != 1) {
    *error = tls::errorText("TLS handshake failed");
    failed_ = true;
    tls_ = std::move(session);  // freed with the stream, as before; no close_notify (failed)
    return false;
  }
  tls_ = std::move(session);
  return true;
}

}  // namespace posthorn::net
