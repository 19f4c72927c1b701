// smtp_stream - one TCP connection to an SMTP server, plain or TLS, where
// every read and write has a deadline
//
//   SmtpStream s = SmtpStream::connect(addr, port, deadline);  // throws StreamError
//   s.write("EHLO me\r\n", deadline);
//   std::string line = s.readLine(deadline);   // without CRLF
//   s.startTls(ctx, "mx.example.com", deadline);
//
// The socket is non-blocking; waits are poll() up to the deadline, so a
// silent peer costs at most the stage's timeout (smtp_*_timeout). Errors
// and timeouts throw StreamError, whose text says which.
#pragma once

#include <chrono>
#include <memory>
#include <stdexcept>
#include <functional>
#include <string>
#include <string_view>

struct ssl_st;

namespace posthorn::tls {
class Context;
}

namespace posthorn::smtp {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

class StreamError : public std::runtime_error {
 public:
  StreamError(const std::string& what, bool timeout) : std::runtime_error(what), timeout_(timeout) {}
  bool timeout() const { return timeout_; }

 private:
  bool timeout_;
};

class SmtpStream {
 public:
  // address: numeric IPv4 or IPv6. Throws StreamError.
  static std::unique_ptr<SmtpStream> connect(const std::string& address, int port, Deadline deadline);
  // For tests: an already connected socket (taken over).
  explicit SmtpStream(int fd);
  ~SmtpStream();
  SmtpStream(const SmtpStream&) = delete;
  SmtpStream& operator=(const SmtpStream&) = delete;

  void write(std::string_view data, Deadline deadline);
  // One line without its CRLF (or LF); at most 4096 bytes are kept of a longer one.
  std::string readLine(Deadline deadline);
  // True when the peer sent something we have not read (or closed): a
  // cached idle connection with pending input is not reused.
  bool hasPendingInput();

  // TLS client handshake (verification as the context says). Throws
  // StreamError with OpenSSL's reason.
  // prepare, when given, sees the SSL object before the handshake (DANE);
  // it throws StreamError to refuse.
  void startTls(const tls::Context& ctx, const std::string& serverName, Deadline deadline,
                const std::string& verifyHost = "", const std::function<void(ssl_st*)>& prepare = {});
  // The TLS connection after startTls (DANE's verdict); null before.
  ssl_st* ssl() const { return ssl_; }
  bool secure() const { return ssl_ != nullptr; }
  // "TLSv1.3 with cipher ... (256/256 bits)"; "" without TLS.
  std::string tlsDescription() const;
  // The peer certificate passed verification (only meaningful with it on).
  bool peerVerified() const;
  // The server presented a certificate.
  bool peerCertificate() const;
  // Our end of the connection: "192.0.2.1", "2001:db8::1"; "" if unknown.
  std::string localAddress() const;

 private:
  void fill(Deadline deadline);
  void settleAfterHandshake(Deadline deadline);
  void waitFor(short events, Deadline deadline, const char* what);

  int fd_ = -1;
  ssl_st* ssl_ = nullptr;
  std::string in_;
};

}  // namespace posthorn::smtp
