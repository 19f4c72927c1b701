// srs - SRS0/SRS1 addresses made and taken apart
#include "lib/address/srs.h"

#include <openssl/evp.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>

#include <cstring>
#include <fstream>

#include "lib/util/ascii.h"

namespace posthorn::address {
namespace {

constexpr const char* kBase32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr int kHashLength = 4;
constexpr long kTickSlots = 32 * 32;  // two base32 characters of days

std::string dayStamp(std::time_t now) {
  const long day = static_cast<long>(now / 86400);
  return {kBase32[(day >> 5) & 31], kBase32[day & 31]};
}

// The day TT stands for within the cycle, or -1 when it is not base32.
long stampValue(const std::string& tt) {
  if (tt.size() != 2) return -1;
  long v = 0;
  for (char c : tt) {
    const char* p = std::strchr(kBase32, util::asciiUpper(c));
    if (p == nullptr || c == '\0') return -1;
    v = v * 32 + (p - kBase32);
  }
  return v;
}

// "local@domain" -> {local, domain}; the last '@' splits.
bool split(const std::string& address, std::string* local, std::string* domain) {
  const auto at = address.rfind('@');
  if (at == std::string::npos || at == 0 || at + 1 == address.size()) return false;
  *local = address.substr(0, at);
  *domain = address.substr(at + 1);
  return true;
}

// "SRS0=a=b" split at its first n-1 separators into n fields.
std::vector<std::string> fields(const std::string& s, std::size_t n) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (out.size() + 1 < n) {
    const auto eq = s.find('=', pos);
    if (eq == std::string::npos) break;
    out.push_back(s.substr(pos, eq - pos));
    pos = eq + 1;
  }
  out.push_back(s.substr(pos));
  return out;
}

bool hasTag(const std::string& local, const char* tag) {
  return local.size() > 5 && util::startsWithIgnoreCase(local, tag) &&
         (local[4] == '=' || local[4] == '+' || local[4] == '-');
}

}  // namespace

SrsCodec::SrsCodec(std::string domain, std::vector<std::string> secrets, int maxAgeDays)
    : domain_(util::lower(domain)), secrets_(std::move(secrets)), maxAgeDays_(maxAgeDays) {}

std::shared_ptr<const SrsCodec> SrsCodec::fromConfig(const config::Config& cfg) {
  const std::string domain = cfg.get("srs_domain");
  if (domain.empty()) return nullptr;
  const std::string file = cfg.get("srs_secret_file");
  std::ifstream in(file);
  if (!in) throw config::ConfigError("srs_secret_file: cannot read " + file + " (srs_domain is set)");
  std::vector<std::string> secrets;
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    secrets.push_back(line);
  }
  if (secrets.empty()) throw config::ConfigError("srs_secret_file: " + file + " holds no secret");
  const long seconds = cfg.getTime("srs_max_age").count();
  const long days = seconds / 86400;
  if (seconds % 86400 != 0 || days < 1 || days > 1000)
    throw config::ConfigError("srs_max_age: \"" + cfg.get("srs_max_age") + "\" must be whole days, 1d to 1000d");
  return std::make_shared<const SrsCodec>(domain, std::move(secrets), static_cast<int>(days));
}

std::string SrsCodec::hash(const std::string& secret, const std::vector<std::string>& parts) const {
  std::string data;
  for (const auto& p : parts) data += util::lower(p);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int macLength = 0;
  HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), mac, &macLength);
  unsigned char b64[64];
  EVP_EncodeBlock(b64, mac, static_cast<int>(macLength));
  return std::string(reinterpret_cast<const char*>(b64), kHashLength);
}

bool SrsCodec::hashValid(const std::string& given, const std::vector<std::string>& parts) const {
  if (given.size() != kHashLength) return false;
  // A case-smashing relay may have lowered it: compare without case too,
  // as the other implementations do.
  for (const auto& secret : secrets_) {
    const std::string h = hash(secret, parts);
    if (CRYPTO_memcmp(h.data(), given.data(), kHashLength) == 0 || util::equalsIgnoreCase(h, given)) return true;
  }
  return false;
}

std::string SrsCodec::forward(const std::string& sender, std::time_t now) const {
  std::string local, domain;
  if (sender.empty() || !split(sender, &local, &domain)) return sender;
  if (util::equalsIgnoreCase(domain, domain_)) return sender;
  const std::string& secret = secrets_.front();
  if (hasTag(local, "SRS1")) {
    // Another forwarder's SRS1: keep its first forwarder, re-sign.
    const auto f = fields(local.substr(5), 3);  // HASH, first forwarder, "=SRS0 rest"
    if (f.size() == 3)
      return "SRS1=" + hash(secret, {f[1], f[2]}) + "=" + f[1] + "=" + f[2] + "@" + domain_;
  }
  if (hasTag(local, "SRS0")) {
    // An SRS0 of the forwarder before us: SRS1 pointing back at it.
    const std::string rest = local.substr(4);  // "=HHHH=TT=host=user"
    return "SRS1=" + hash(secret, {domain, rest}) + "=" + domain + "=" + rest + "@" + domain_;
  }
  const std::string tt = dayStamp(now);
  return "SRS0=" + hash(secret, {tt, domain, local}) + "=" + tt + "=" + domain + "=" + local + "@" + domain_;
}

bool SrsCodec::isSrsAddress(const std::string& address) const {
  std::string local, domain;
  return split(address, &local, &domain) && util::equalsIgnoreCase(domain, domain_) &&
         (hasTag(local, "SRS0") || hasTag(local, "SRS1"));
}

std::optional<std::string> SrsCodec::reverse(const std::string& address, std::time_t now, std::string* why) const {
  std::string local, domain;
  if (!isSrsAddress(address) || !split(address, &local, &domain)) {
    *why = "not an SRS address of " + domain_;
    return std::nullopt;
  }
  if (hasTag(local, "SRS1")) {
    const auto f = fields(local.substr(5), 3);  // HASH, first forwarder, "=HHHH=TT=host=user"
    if (f.size() != 3 || f[1].empty() || f[2].empty()) {
      *why = "malformed SRS1 address";
      return std::nullopt;
    }
    if (!hashValid(f[0], {f[1], f[2]})) {
      *why = "bad SRS hash";
      return std::nullopt;
    }
    return "SRS0" + f[2] + "@" + f[1];
  }
  const auto f = fields(local.substr(5), 4);  // HASH, TT, host, user
  if (f.size() != 4 || f[2].empty() || f[3].empty()) {
    *why = "malformed SRS0 address";
    return std::nullopt;
  }
  if (!hashValid(f[0], {f[1], f[2], f[3]})) {
    *why = "bad SRS hash";
    return std::nullopt;
  }
  const long stamp = stampValue(f[1]);
  const long today = static_cast<long>(now / 86400) % kTickSlots;
  const long age = (today - stamp + kTickSlots) % kTickSlots;
  if (stamp < 0 || age > maxAgeDays_) {
    *why = "expired SRS address";
    return std::nullopt;
  }
  return f[3] + "@" + f[2];
}

}  // namespace posthorn::address
