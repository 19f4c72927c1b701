// tls - TLS contexts and libevent helpers shared by smtpd, popd, imapd and
// the smtp client
//
// OpenSSL 3, TLS 1.2 at least. A Context is built once per process, before
// the jail (the key file is readable by root only):
//
//   tls::ServerSettings s{.certFile = cfg.get("smtpd_tls_cert_file"),
//                         .keyFile = cfg.get("smtpd_tls_key_file")};
//   auto ctx = tls::Context::server(s);          // throws TlsError
//   ...
//   // STARTTLS over an existing plaintext bufferevent (the reply "220
//   // Ready to start TLS" may still sit in its output buffer):
//   bufferevent* secure = tls::startServer(base, plain, *ctx);
//   // implicit TLS (port 465/993/995) on a freshly accepted socket:
//   bufferevent* secure = tls::acceptSocket(base, fd, *ctx);
//
// The handshake runs inside libevent; the bufferevent reports
// BEV_EVENT_CONNECTED when it completed and BEV_EVENT_ERROR when it failed
// (errorText() then says why). sessionInfo() describes the result the way
// Postfix logs it: "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)".
//
// smtpd_tls_protocols syntax (Postfix): ">=TLSv1.2", "<=TLSv1.2", or a list
// of names to exclude ("!SSLv2, !SSLv3, !TLSv1, !TLSv1.1") or to include
// ("TLSv1.2 TLSv1.3"). Anything below TLS 1.2 is never enabled: asking for
// it only draws a warning (see parseProtocols).
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct bufferevent;
struct event_base;
struct ssl_ctx_st;
struct ssl_st;

namespace posthorn::tls {

class TlsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// OpenSSL protocol version numbers (TLS1_2_VERSION, TLS1_3_VERSION).
struct ProtocolRange {
  int min = 0;  // TLS1_2_VERSION
  int max = 0;  // 0 = the highest the library knows
};

// Parses a *_tls_protocols value. Throws TlsError naming the bad word.
// Versions below TLS 1.2 that the value would enable are not enabled; a
// description of that is appended to *warnings when given.
ProtocolRange parseProtocols(std::string_view text, std::vector<std::string>* warnings = nullptr);

// "TLSv1.2", "TLSv1.3" for an OpenSSL version number.
std::string protocolName(int version);

struct ServerSettings {
  std::string certFile;  // PEM: the certificate, then any intermediates
  std::string keyFile;   // PEM private key; empty = the same file as certFile
  std::string protocols;  // a *_tls_protocols value; empty: TLS 1.2 and later
  std::string ciphers;   // OpenSSL cipher list for TLS 1.2; empty = library default
};

struct ClientSettings {
  std::string caFile;  // trusted CAs (PEM); empty with caPath empty = system default
  std::string caPath;
  std::string certFile;  // optional client certificate
  std::string keyFile;
  std::string protocols;  // a *_tls_protocols value; empty: TLS 1.2 and later
  bool verifyPeer = false;  // fail the handshake on an unverified certificate
  bool dane = false;        // connections may check certificates against TLSA records
};

class Context {
 public:
  // Loads and checks the certificate chain and key (they must match).
  // Throws TlsError with the file name and OpenSSL's reason.
  static std::shared_ptr<Context> server(const ServerSettings& settings);
  static std::shared_ptr<Context> client(const ClientSettings& settings);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  ssl_ctx_st* native() const { return ctx_; }
  bool isServer() const { return server_; }
  // A new SSL object for one connection; throws TlsError.
  ssl_st* newSsl() const;

 private:
  Context(ssl_ctx_st* ctx, bool server) : ctx_(ctx), server_(server) {}
  ssl_ctx_st* ctx_ = nullptr;
  bool server_ = true;
};

// Context::server() for a daemon's *_tls_* parameters: first logs a
// warning "PARAMETER: ..." for each of parseProtocols' warnings, with
// `protocolsParameter` the name of the protocols setting
// ("smtpd_tls_protocols"). Throws TlsError as Context::server does.
std::shared_ptr<Context> serverContext(const ServerSettings& settings,
                                       std::string_view protocolsParameter);

// Drains OpenSSL's error queue into one line ("error:0A000086:SSL
// routines::certificate verify failed; ..."); `fallback` when it is empty.
std::string errorText(std::string_view fallback = "unknown TLS error");

// What a finished handshake agreed on.
struct SessionInfo {
  std::string protocol;  // "TLSv1.3"
  std::string cipher;    // "TLS_AES_256_GCM_SHA384"
  int bits = 0;          // secret bits used
  int algBits = 0;       // the algorithm's bits
  // "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)"
  std::string describe() const;
};
SessionInfo sessionInfo(const ssl_st* ssl);

// --- libevent (bufferevent_openssl) ----------------------------------------

// Starts a server handshake on top of `plain` (STARTTLS). Anything still in
// plain's input buffer is discarded first (it arrived before the handshake
// and must never be taken as protected input: CVE-2011-0411); what is in
// its output buffer is still sent, in plaintext, before the handshake.
// The returned bufferevent owns `plain` (freeing it frees both and closes
// the socket when plain was made with BEV_OPT_CLOSE_ON_FREE). Callbacks and
// timeouts must be set on the returned one. Throws TlsError.
bufferevent* startServer(event_base* base, bufferevent* plain, const Context& ctx);

// A server bufferevent for a freshly accepted socket (implicit TLS); the
// bufferevent owns fd. Throws TlsError (fd is then still the caller's).
bufferevent* acceptSocket(event_base* base, int fd, const Context& ctx);

// A client bufferevent on a connected socket: SNI from serverName when it
// is not empty; owns fd. Throws TlsError (fd is then still the caller's).
bufferevent* connectSocket(event_base* base, int fd, const Context& ctx,
                           const std::string& serverName);

// The SSL object behind a bufferevent made above (nullptr for others).
ssl_st* sslOf(bufferevent* bev);

// The reason a TLS bufferevent reported BEV_EVENT_ERROR: OpenSSL's errors
// for it (bufferevent_get_openssl_error), else errno's text, else fallback.
std::string bufferEventError(bufferevent* bev, std::string_view fallback = "connection failed");

}  // namespace posthorn::tls
