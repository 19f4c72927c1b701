// client_stream - a mail client's connection as popd's and imapd's stages
// use it: blocking, with an idle timeout, a line-length limit and TLS
//
// Replies are buffered and sent when the session next waits for input
// (so pipelined commands get their replies in few packets) or when 64 KiB
// are buffered. A write failure marks the stream failed; reads then report
// Closed. Owns the fd.
//
// TLS (startTls) lives in lib/login/client_tls.cc, behind ClientStream::Tls, so
// that a program that never starts TLS (imapd-mailbox) links no OpenSSL.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "lib/login/client_output.h"
#include "lib/tls/tls.h"

namespace posthorn::net {

// "192.0.2.7" from the server skeleton's "192.0.2.7:1234" or "[::1]:1234".
std::string clientAddressOf(const std::string& peer);

class ClientStream : public ClientOutput {
 public:
  ClientStream(int fd, std::chrono::seconds timeout, std::size_t lineLimit);
  virtual ~ClientStream();
  ClientStream(const ClientStream&) = delete;
  ClientStream& operator=(const ClientStream&) = delete;

  enum class Read { Line, TooLong, Closed, Timeout };
  // The next line without its CRLF (or bare LF). A line over the limit is
  // read to its end and dropped: TooLong.
  Read readLine(std::string& line);

  // What has arrived (pending input first), waiting up to the timeout.
  enum class Fill { Data, Closed, Timeout };
  Fill readSome(std::string& into);
  // Waits until the client sent something or `other` is readable (IMAP's
  // IDLE watches the mailbox too): 1 client, 2 other, 0 timeout (ms), -1 error.
  int waitEither(int other, int timeoutMs);

  void write(std::string_view bytes) override;
  bool flush() override;
  bool failed() const { return failed_; }

  // Server-side TLS handshake on the connection (after STLS or at once for
  // 995); input read before it is discarded (CVE-2011-0411). False on
  // failure, with the reason in *error.
  // Defined in lib/login/client_tls.cc.
  bool startTls(const tls::Context& ctx, std::string* error);
  bool tls() const { return tls_ != nullptr; }
  std::string tlsDescription() const;

  // Input read but not yet taken as lines (pipelined after the login).
  std::string takePending();
  // Input to treat as already received (what the login stage passed on).
  void prepend(std::string bytes) { in_.insert(0, bytes); }

  // TLS proxy: copies between the client (decrypted) and `other` until
  // either side closes. Used by the login stage after a TLS handover.
  void proxy(int other);

  int fd() const { return fd_; }

  // The TLS session on the connection, once startTls succeeded: how the
  // stream reads and writes through it (lib/login/client_tls.cc).
  class Tls {
   public:
    virtual ~Tls() = default;
    virtual long read(char* buf, std::size_t n) = 0;  // >0 bytes, else closed or failed
    virtual long write(std::string_view bytes) = 0;   // >0 bytes written, else failed
    virtual bool pending() const = 0;                  // decrypted input buffered
    virtual void shutdown() = 0;                       // close_notify
    virtual std::string describe() const = 0;
  };

 private:
  // Reads what is there (waiting up to the timeout): >0 bytes appended,
  // 0 closed, -1 timeout.
  long fill();
  long rawRead(char* buf, std::size_t n);
  bool rawWrite(std::string_view bytes);

  int fd_;
  std::chrono::seconds timeout_;
  std::size_t lineLimit_;
  std::unique_ptr<Tls> tls_;
  std::string in_;
  std::string out_;
  bool failed_ = false;
  bool discarding_ = false;  // inside a line over the limit
};

}  // namespace posthorn::net
