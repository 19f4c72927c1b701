// dns_config - dns_servers and /etc/resolv.conf into a server list
#include "lib/dns/dns_config.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "lib/config/config.h"

namespace posthorn::dns {

namespace {

// resolv.conf(5)'s defaults (glibc's RES_TIMEOUT and RES_DFLRETRY), for a
// file without "options timeout: attempts:"; posthorn.conf's dns_timeout
// and dns_attempts are a separate matter (the parameter table).
constexpr std::chrono::seconds kResolvConfTimeout{5};
constexpr int kResolvConfAttempts = 2;

int parsePort(std::string_view text, std::string_view entry) {
  if (text.empty() || text.size() > 5) throw std::invalid_argument("bad port in \"" + std::string(entry) + "\"");
  int port = 0;
  for (char c : text) {
    if (c < '0' || c > '9') throw std::invalid_argument("bad port in \"" + std::string(entry) + "\"");
    port = port * 10 + (c - '0');
  }
  if (port == 0 || port > 65535) throw std::invalid_argument("bad port in \"" + std::string(entry) + "\"");
  return port;
}

}  // namespace

ServerAddress parseServer(std::string_view entry) {
  std::string host;
  int port = 53;
  if (!entry.empty() && entry.front() == '[') {
    const auto close = entry.find(']');
    if (close == std::string_view::npos) throw std::invalid_argument("missing ] in \"" + std::string(entry) + "\"");
    host = std::string(entry.substr(1, close - 1));
    std::string_view rest = entry.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') throw std::invalid_argument("junk after ] in \"" + std::string(entry) + "\"");
      port = parsePort(rest.substr(1), entry);
    }
  } else if (std::count(entry.begin(), entry.end(), ':') == 1) {
    const auto colon = entry.find(':');
    host = std::string(entry.substr(0, colon));
    port = parsePort(entry.substr(colon + 1), entry);
  } else {
    host = std::string(entry);
  }
  // resolv.conf may scope link-local addresses (fe80::1%eth0): not supported.
  ServerAddress out;
  sockaddr_in v4{};
  sockaddr_in6 v6{};
  if (::inet_pton(AF_INET, host.c_str(), &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    v4.sin_port = htons(static_cast<std::uint16_t>(port));
    std::memcpy(&out.addr, &v4, sizeof v4);
    out.length = sizeof v4;
    out.text = host + ":" + std::to_string(port);
  } else if (::inet_pton(AF_INET6, host.c_str(), &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(static_cast<std::uint16_t>(port));
    std::memcpy(&out.addr, &v6, sizeof v6);
    out.length = sizeof v6;
    out.text = "[" + host + "]:" + std::to_string(port);
  } else {
    throw std::invalid_argument("not an IP address: \"" + std::string(entry) + "\"");
  }
  return out;
}

ResolverConfig ResolverConfig::fromResolvConf(std::string_view text) {
  ResolverConfig rc;
  rc.timeout = kResolvConfTimeout;
  rc.attempts = kResolvConfAttempts;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string key;
    if (!(words >> key) || key[0] == '#' || key[0] == ';') continue;
    if (key == "nameserver") {
      std::string addr;
      if (!(words >> addr)) continue;
      try {
        rc.servers.push_back(parseServer(addr.find(':') != std::string::npos && addr.front() != '['
                                             ? "[" + addr + "]"
                                             : addr));
      } catch (const std::invalid_argument&) {
      }
    } else if (key == "options") {
      std::string opt;
      while (words >> opt) {
        try {
          if (opt.rfind("timeout:", 0) == 0)
            rc.timeout = std::chrono::seconds(std::max(1, std::stoi(opt.substr(8))));
          else if (opt.rfind("attempts:", 0) == 0)
            rc.attempts = std::max(1, std::min(5, std::stoi(opt.substr(9))));
        } catch (const std::exception&) {
        }
      }
    }
  }
  if (rc.servers.empty()) rc.servers.push_back(parseServer("127.0.0.1"));
  return rc;
}

ResolverConfig ResolverConfig::fromConfig(const config::Config& cfg, const std::string& resolvConf) {
  ResolverConfig rc;
  const auto servers = cfg.getList("dns_servers");
  if (servers.empty()) {
    std::ifstream in(resolvConf);
    std::stringstream text;
    if (in) text << in.rdbuf();
    rc = fromResolvConf(text.str());
  } else {
    for (const auto& s : servers) {
      try {
        rc.servers.push_back(parseServer(s));
      } catch (const std::invalid_argument& e) {
        throw config::ConfigError("dns_servers: " + std::string(e.what()));
      }
    }
  }
  rc.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(cfg.getTime("dns_timeout"));
  if (rc.timeout.count() <= 0) throw config::ConfigError("dns_timeout: must be at least 1s");
  const long long n = cfg.getInt("dns_attempts");
  if (n < 1 || n > 10) throw config::ConfigError("dns_attempts: must be 1 to 10");
  rc.attempts = static_cast<int>(n);
  rc.seed = static_cast<std::uint64_t>(cfg.getInt("smtp_mx_random_seed"));
  const std::string anchors = cfg.get("dns_trust_anchor_file");
  if (!anchors.empty()) {
    try {
      rc.trustAnchors = readTrustAnchors(anchors, &rc.trustAnchorOrigins);
    } catch (const std::runtime_error& e) {
      throw config::ConfigError(cfg.origin("dns_trust_anchor_file").describe() +
                                ": dns_trust_anchor_file = " + anchors + ": " + e.what());
    }
  }
  return rc;
}

std::vector<std::string> ResolverConfig::readTrustAnchors(const std::string& path,
                                                          std::vector<std::string>* origins) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path + ": " + std::strerror(errno));
  std::vector<std::string> records;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    line = line.substr(0, line.find(';'));
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    records.push_back(line);
    if (origins != nullptr) origins->push_back(path + ":" + std::to_string(number));
  }
  if (records.empty()) throw std::runtime_error(path + " holds no DS or DNSKEY record");
  return records;
}

}  // namespace posthorn::dns
