// greylist_policy - greylist(8)'s decision for one policy request
#include "greylist/greylist_policy.h"

#include <sys/socket.h>

#include <array>
#include <cstdio>


namespace posthorn::greylist {

namespace {

// Lowercased, without the bytes the store's records cannot hold.
std::string keyPart(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return out;
}

std::string domainOf(const std::string& sender) {
  const std::size_t at = sender.rfind('@');
  return at == std::string::npos ? std::string() : sender.substr(at + 1);
}

std::string attr(const std::map<std::string, std::string>& attrs, const char* name) {
  auto it = attrs.find(name);
  return it == attrs.end() ? std::string() : it->second;
}

}  // namespace

GreylistSettings GreylistSettings::fromConfig(const config::Config& cfg) {
  GreylistSettings s;
  s.delay = cfg.getTime("greylist_delay").count();
  s.maxAge = cfg.getTime("greylist_max_age").count();
  s.retryWindow = cfg.getTime("greylist_retry_window").count();
  s.autoAllowlistClients = static_cast<long>(cfg.getInt("greylist_auto_allowlist_clients"));
  try {
    s.setAllowlist(cfg.getList("greylist_allowlist"));
  } catch (const address::CidrError& e) {
    throw config::ConfigError(std::string("greylist_allowlist: ") + e.what());
  }
  return s;
}

void GreylistSettings::setAllowlist(const std::vector<std::string>& entries) {
  std::vector<std::string> networks;
  for (const std::string& e : entries) {
    std::array<std::uint8_t, 16> bytes{};
    const bool isNetwork = e.find_first_of("[:/") != std::string::npos ||
                           address::parseIpAddress(e, &bytes).has_value();
    if (isNetwork)
      networks.push_back(e);
    else
      allowedDomains.push_back(keyPart(e));
  }
  allowedClients = address::CidrList::parse(networks, "greylist_allowlist");
}

std::string clientNetwork(const std::string& address) {
  std::array<std::uint8_t, 16> b{};
  const std::optional<int> family = address::parseIpAddress(address, &b);
  if (!family) return {};
  char buf[64];
  if (*family == AF_INET) {
    std::snprintf(buf, sizeof buf, "%u.%u.%u.0/24", b[0], b[1], b[2]);
  } else {
    std::snprintf(buf, sizeof buf, "%x:%x:%x:%x::/64", b[0] << 8 | b[1], b[2] << 8 | b[3],
                  b[4] << 8 | b[5], b[6] << 8 | b[7]);
  }
  return buf;
}

bool Greylist::allowlisted(const std::string& address, const std::string& sender) const {
  if (settings_.allowedClients.matches(address)) return true;
  const std::string domain = domainOf(sender);
  if (domain.empty()) return false;
  for (const std::string& d : settings_.allowedDomains) {
    if (d.starts_with('.') ? (domain.ends_with(d) || domain == d.substr(1)) : domain == d) return true;
  }
  return false;
}

std::string Greylist::decide(const std::map<std::string, std::string>& attrs, Seconds now) {
  const std::string address = attr(attrs, "client_address");
  const std::string network = clientNetwork(address);
  const TripletKey key{network, keyPart(attr(attrs, "sender")), keyPart(attr(attrs, "recipient"))};
  if (network.empty() || key.recipient.empty()) return "DUNNO";
  if (allowlisted(address, key.sender)) return "DUNNO";
  std::optional<ClientState> client = store_.client(network, now);
  if (client && settings_.autoAllowlistClients > 0 && client->passes >= settings_.autoAllowlistClients)
    return "DUNNO";

  std::optional<TripletState> seen = store_.triplet(key, now);
  if (seen && seen->passed) {
    seen->last = now;
    store_.putTriplet(key, *seen);
    return "DUNNO";
  }
  if (!seen || now - seen->first > settings_.retryWindow) seen = TripletState{now, now, false};
  const Seconds waited = now - seen->first;
  seen->last = now;
  if (waited < settings_.delay) {
    store_.putTriplet(key, *seen);
    return "defer_if_permit Greylisted, retry in " + std::to_string(settings_.delay - waited) + " seconds";
  }
  seen->passed = true;
  store_.putTriplet(key, *seen);
  ClientState passes = client.value_or(ClientState{});
  passes.last = now;
  ++passes.passes;
  store_.putClient(network, passes);
  return "PREPEND X-Greylist: delayed " + std::to_string(waited) + " seconds by posthorn-greylist";
}

}  // namespace posthorn::greylist
