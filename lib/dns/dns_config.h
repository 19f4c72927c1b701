// dns_config - which DNS servers every lookup asks, and how patiently
//
// Read once per process, before the jail (after chroot /etc/resolv.conf is
// out of reach; the resolver itself needs only sockets):
//
//   dns::ResolverConfig rc = dns::ResolverConfig::fromConfig(cfg);
//
// dns_servers (posthorn.conf) lists "address" or "address:port" entries,
// IPv6 as "[2001:db8::1]:53" (a bare IPv6 address is taken whole). Empty:
// the nameserver lines of /etc/resolv.conf, else 127.0.0.1. How long to
// wait for one answer and how many rounds over the servers: dns_timeout
// and dns_attempts (resolv.conf's own "options timeout: attempts:" are
// used only by fromResolvConf alone).
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace posthorn::config {
class Config;
}

namespace posthorn::dns {

struct ServerAddress {
  sockaddr_storage addr{};
  socklen_t length = 0;
  std::string text;  // "127.0.0.1:5353", "[::1]:53"
};

// "192.0.2.53", "192.0.2.53:5353", "[::1]:53", "::1". Throws
// std::invalid_argument naming the entry.
ServerAddress parseServer(std::string_view entry);

struct ResolverConfig {
  std::vector<ServerAddress> servers;
  std::chrono::milliseconds timeout{};  // per try
  int attempts{};                       // rounds over all servers
  std::uint64_t seed{};                 // equal-preference MX order; 0 = unpredictable
  std::vector<std::string> trustAnchors;  // DS/DNSKEY records; empty = no validation
  std::vector<std::string> trustAnchorOrigins;  // "file:line" of each, for errors (may be empty)

  // The records of a trust anchor file: one per line, comments (from ';')
  // and blank lines dropped; each one's "file:line" into *origins when
  // given. Throws std::runtime_error naming the file when it cannot be
  // read or holds no record.
  static std::vector<std::string> readTrustAnchors(const std::string& path,
                                                   std::vector<std::string>* origins = nullptr);

  // resolv.conf text: nameserver lines and options timeout:/attempts:
  // (without them, resolv.conf(5)'s own defaults). Unusable nameserver
  // lines are skipped.
  static ResolverConfig fromResolvConf(std::string_view text);
  // posthorn.conf (dns_servers, dns_timeout, dns_attempts,
  // dns_trust_anchor_file, smtp_mx_random_seed); reads /etc/resolv.conf
  // when dns_servers is empty. Throws config::ConfigError for a bad
  // dns_servers entry or an unreadable trust anchor file.
  static ResolverConfig fromConfig(const config::Config& cfg,
                                   const std::string& resolvConf = "/etc/resolv.conf");
};

}  // namespace posthorn::dns
