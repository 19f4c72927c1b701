// tls - OpenSSL contexts (TLS 1.2+) and bufferevent_openssl helpers
#include "lib/tls/tls.h"

#include <cerrno>
#include <cstring>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "lib/log/log.h"
#include "lib/util/ascii.h"

namespace posthorn::tls {

namespace {

struct NamedVersion {
  std::string_view name;
  int version;
};

// Every name Postfix accepts in *_tls_protocols, oldest first.
constexpr NamedVersion kVersions[] = {
    {"SSLv2", SSL2_VERSION},  {"SSLv3", SSL3_VERSION},    {"TLSv1", TLS1_VERSION},
    {"TLSv1.1", TLS1_1_VERSION}, {"TLSv1.2", TLS1_2_VERSION}, {"TLSv1.3", TLS1_3_VERSION},
};

constexpr int kMinimumVersion = TLS1_2_VERSION;

int versionOf(std::string_view name) {
  for (const auto& v : kVersions) {
    if (util::equalsIgnoreCase(name, v.name)) {
      return v.version;
    }
  }
  return 0;
}

std::vector<std::string_view> splitWords(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ',' || text[i] == ':' || text[i] == ' ' ||
                               text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
      ++i;
    std::size_t start = i;
    while (i < text.size() && !(text[i] == ',' || text[i] == ':' || text[i] == ' ' ||
                                text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
      ++i;
    if (i > start) words.push_back(text.substr(start, i - start));
  }
  return words;
}

void configureCommon(SSL_CTX* ctx, const std::string& protocols, const std::string& ciphers) {
  const ProtocolRange range = parseProtocols(protocols);
  if (SSL_CTX_set_min_proto_version(ctx, range.min) != 1)
    throw TlsError("cannot set the minimum TLS version: " + errorText());
  if (range.max != 0 && SSL_CTX_set_max_proto_version(ctx, range.max) != 1)
    throw TlsError("cannot set the maximum TLS version: " + errorText());
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  if (!ciphers.empty() && SSL_CTX_set_cipher_list(ctx, ciphers.c_str()) != 1)
    throw TlsError("bad cipher list \"" + ciphers + "\": " + errorText());
}

struct CtxGuard {
  SSL_CTX* ctx;
  ~CtxGuard() {
    if (ctx != nullptr) SSL_CTX_free(ctx);
  }
  SSL_CTX* release() {
    SSL_CTX* c = ctx;
    ctx = nullptr;
    return c;
  }
};

void loadCertificateAndKey(SSL_CTX* ctx, const std::string& certFile, std::string keyFile) {
  if (keyFile.empty()) keyFile = certFile;
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(ctx, certFile.c_str()) != 1)
    throw TlsError("cannot load the certificate " + certFile + ": " + errorText());
  if (SSL_CTX_use_PrivateKey_file(ctx, keyFile.c_str(), SSL_FILETYPE_PEM) != 1)
    throw TlsError("cannot load the private key " + keyFile + ": " + errorText());
  if (SSL_CTX_check_private_key(ctx) != 1)
    throw TlsError("the private key " + keyFile + " does not match the certificate " +
                   certFile + ": " + errorText());
}

}  // namespace

ProtocolRange parseProtocols(std::string_view text, std::vector<std::string>* warnings) {
  std::set<int> include, exclude;
  int min = 0, max = 0;
  for (std::string_view word : splitWords(text)) {
    std::string_view name = word;
    enum { Include, Exclude, AtLeast, AtMost } kind = Include;
    if (name.substr(0, 2) == ">=") {
      kind = AtLeast;
      name.remove_prefix(2);
    } else if (name.substr(0, 2) == "<=") {
      kind = AtMost;
      name.remove_prefix(2);
    } else if (name.substr(0, 1) == "!") {
      kind = Exclude;
      name.remove_prefix(1);
    }
    const int version = versionOf(name);
    if (version == 0)
      throw TlsError("unknown TLS protocol \"" + std::string(word) +
                     "\" (known: SSLv2 SSLv3 TLSv1 TLSv1.1 TLSv1.2 TLSv1.3, with ! >= <=)");
    switch (kind) {
      case Include: include.insert(version); break;
      case Exclude: exclude.insert(version); break;
      case AtLeast: min = std::max(min, version); break;
      case AtMost: max = max == 0 ? version : std::min(max, version); break;
    }
  }
  std::set<int> enabled;
  for (const auto& v : kVersions) {
    if (!include.empty() && !include.count(v.version)) continue;
    if (exclude.count(v.version)) continue;
    if (min != 0 && v.version < min) continue;
    if (max != 0 && v.version > max) continue;
    enabled.insert(v.version);
  }
  std::vector<std::string> refused;
  std::set<int> usable;
  for (int v : enabled) {
    if (v < kMinimumVersion)
      refused.push_back(protocolName(v));
    else
      usable.insert(v);
  }
  // Postfix's historical default ("!SSLv2, !SSLv3") names no minimum, so it
  // would enable TLS 1.0 and 1.1; only an explicit request draws a warning.
  const bool explicitOld = [&] {
    for (int v : include)
      if (v < kMinimumVersion) return true;
    return min != 0 && min < kMinimumVersion;
  }();
  if (!refused.empty() && explicitOld && warnings != nullptr) {
    std::string list;
    for (const auto& r : refused) list += (list.empty() ? "" : " ") + r;
    warnings->push_back("TLS protocols \"" + std::string(text) + "\": " + list +
                        " not enabled (posthorn requires TLS 1.2 or later)");
  }
  if (usable.empty())
    throw TlsError("TLS protocols \"" + std::string(text) +
                   "\" enable no protocol at TLS 1.2 or later");
  ProtocolRange range;
  range.min = *usable.begin();
  range.max = (max != 0 || !include.empty() || exclude.count(TLS1_3_VERSION)) ? *usable.rbegin() : 0;
  return range;
}

std::string protocolName(int version) {
  for (const auto& v : kVersions)
    if (v.version == version) return std::string(v.name);
  return "unknown(" + std::to_string(version) + ")";
}

std::string errorText(std::string_view fallback) {
  std::string text;
  unsigned long code;
  while ((code = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    if (!text.empty()) text += "; ";
    text += buf;
  }
  return text.empty() ? std::string(fallback) : text;
}

std::shared_ptr<Context> Context::server(const ServerSettings& settings) {
  if (settings.certFile.empty()) throw TlsError("no certificate file configured");
  ERR_clear_error();
  CtxGuard guard{SSL_CTX_new(TLS_server_method())};
  if (guard.ctx == nullptr) throw TlsError("cannot create a TLS context: " + errorText());
  configureCommon(guard.ctx, settings.protocols, settings.ciphers);
  SSL_CTX_set_options(guard.ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
  static const unsigned char kSessionContext[] = "posthorn";
  SSL_CTX_set_session_id_context(guard.ctx, kSessionContext, sizeof kSessionContext - 1);
  loadCertificateAndKey(guard.ctx, settings.certFile, settings.keyFile);
  return std::shared_ptr<Context>(new Context(guard.release(), true));
}

std::shared_ptr<Context> serverContext(const ServerSettings& settings,
                                       std::string_view protocolsParameter) {
  std::vector<std::string> warnings;
  parseProtocols(settings.protocols, &warnings);
  const std::string parameter(protocolsParameter);
  for (const auto& w : warnings) log::warning("%s: %s", parameter.c_str(), w.c_str());
  return Context::server(settings);
}

std::shared_ptr<Context> Context::client(const ClientSettings& settings) {
  ERR_clear_error();
  CtxGuard guard{SSL_CTX_new(TLS_client_method())};
  if (guard.ctx == nullptr) throw TlsError("cannot create a TLS context: " + errorText());
  configureCommon(guard.ctx, settings.protocols, "");
  if (settings.caFile.empty() && settings.caPath.empty()) {
    if (SSL_CTX_set_default_verify_paths(guard.ctx) != 1)
      throw TlsError("cannot load the system's trusted CAs: " + errorText());
  } else if (SSL_CTX_load_verify_locations(
                 guard.ctx, settings.caFile.empty() ? nullptr : settings.caFile.c_str(),
                 settings.caPath.empty() ? nullptr : settings.caPath.c_str()) != 1) {
    throw TlsError("cannot load trusted CAs from " +
                   (settings.caFile.empty() ? settings.caPath : settings.caFile) + ": " +
                   errorText());
  }
  if (!settings.certFile.empty())
    loadCertificateAndKey(guard.ctx, settings.certFile, settings.keyFile);
  SSL_CTX_set_verify(guard.ctx, settings.verifyPeer ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  if (settings.dane && SSL_CTX_dane_enable(guard.ctx) <= 0) throw TlsError("cannot enable DANE: " + errorText());
  return std::shared_ptr<Context>(new Context(guard.release(), false));
}

Context::~Context() {
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
}

SSL* Context::newSsl() const {
  SSL* ssl = SSL_new(ctx_);
  if (ssl == nullptr) throw TlsError("cannot create a TLS session: " + errorText());
  return ssl;
}

std::string SessionInfo::describe() const {
  return protocol + " with cipher " + cipher + " (" + std::to_string(bits) + "/" +
         std::to_string(algBits) + " bits)";
}

SessionInfo sessionInfo(const SSL* ssl) {
  SessionInfo info;
  if (ssl == nullptr) return info;
  info.protocol = SSL_get_version(ssl);
  if (const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl)) {
    info.cipher = SSL_CIPHER_get_name(cipher);
    info.bits = SSL_CIPHER_get_bits(cipher, &info.algBits);
  }
  return info;
}

// --- libevent --------------------------------------------------------------

namespace {

// Takes ownership of ssl into a new bufferevent (made by `make`); on failure
// frees it and throws.
template <class Make>
bufferevent* wrapSsl(SSL* ssl, Make make) {
  bufferevent* bev = make(ssl);
  if (bev == nullptr) {
    SSL_free(ssl);
    throw TlsError("cannot start TLS on the connection");
  }
  bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
  return bev;
}

}  // namespace

bufferevent* startServer(event_base* base, bufferevent* plain, const Context& ctx) {
  evbuffer* pending = bufferevent_get_input(plain);
  evbuffer_drain(pending, evbuffer_get_length(pending));
  return wrapSsl(ctx.newSsl(), [&](SSL* ssl) {
    return bufferevent_openssl_filter_new(base, plain, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                          BEV_OPT_CLOSE_ON_FREE);
  });
}

bufferevent* acceptSocket(event_base* base, int fd, const Context& ctx) {
  return wrapSsl(ctx.newSsl(), [&](SSL* ssl) {
    return bufferevent_openssl_socket_new(base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                          BEV_OPT_CLOSE_ON_FREE);
  });
}

bufferevent* connectSocket(event_base* base, int fd, const Context& ctx,
                           const std::string& serverName) {
  SSL* ssl = ctx.newSsl();
  if (!serverName.empty()) {
    SSL_set_tlsext_host_name(ssl, serverName.c_str());
    if (SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER) SSL_set1_host(ssl, serverName.c_str());
  }
  return wrapSsl(ssl, [&](SSL* s) {
    return bufferevent_openssl_socket_new(base, fd, s, BUFFEREVENT_SSL_CONNECTING,
                                          BEV_OPT_CLOSE_ON_FREE);
  });
}

SSL* sslOf(bufferevent* bev) { return bev == nullptr ? nullptr : bufferevent_openssl_get_ssl(bev); }

std::string bufferEventError(bufferevent* bev, std::string_view fallback) {
  std::string text;
  unsigned long code;
  while ((code = bufferevent_get_openssl_error(bev)) != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    if (!text.empty()) text += "; ";
    text += buf;
  }
  if (text.empty()) {
    const int err = EVUTIL_SOCKET_ERROR();
    if (err != 0) text = std::strerror(err);
  }
  return text.empty() ? std::string(fallback) : text;
}

}  // namespace posthorn::tls
