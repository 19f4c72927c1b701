// scram - SCRAM-SHA-256 verifiers and the server conversation (see scram.h)
#include "lib/auth/scram.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <stdexcept>
#include <vector>

#include "lib/proto/passdb_client.h"

namespace posthorn::auth {

namespace {

using passdb::decodeBase64;
using passdb::encodeBase64;

std::string hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len) ==
      nullptr) {
    throw std::runtime_error("HMAC-SHA-256 failed");
  }
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string sha256(std::string_view data) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out);
  return std::string(reinterpret_cast<char*>(out), sizeof out);
}

std::string saltedPassword(std::string_view password, std::string_view salt, unsigned iterations) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), static_cast<int>(iterations), EVP_sha256(),
                        sizeof out, out) != 1) {
    throw std::runtime_error("PBKDF2-HMAC-SHA-256 failed");
  }
  return std::string(reinterpret_cast<char*>(out), sizeof out);
}

std::string randomBytes(std::size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  return out;
}

std::vector<std::string_view> splitCommas(std::string_view s) {
  std::vector<std::string_view> parts;
  while (true) {
    const auto comma = s.find(',');
    parts.push_back(s.substr(0, comma));
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return parts;
}

// saslname: "=2C" is ',', "=3D" is '='; any other '=' is malformed.
std::optional<std::string> decodeSaslName(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '=') {
      out += s[i];
      continue;
    }
    if (s.substr(i, 3) == "=2C") out += ',';
    else if (s.substr(i, 3) == "=3D") out += '=';
    else return std::nullopt;
    i += 2;
  }
  return out;
}

bool printableNonce(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < 0x21 || c > 0x7e || c == ',') return false;
  }
  return true;
}

}  // namespace

bool constantTimeEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::optional<ScramVerifier> parseScramVerifier(std::string_view text) {
  const auto parts = splitCommas(text);
  if (parts.size() != 4 || parts[0].empty() || parts[0].size() > 9) return std::nullopt;
  unsigned iterations = 0;
  for (char c : parts[0]) {
    if (c < '0' || c > '9') return std::nullopt;
    iterations = iterations * 10 + static_cast<unsigned>(c - '0');
  }
  if (iterations < 1) return std::nullopt;
  auto salt = decodeBase64(parts[1]);
  auto stored = decodeBase64(parts[2]);
  auto server = decodeBase64(parts[3]);
  if (!salt || salt->empty() || !stored || stored->size() != SHA256_DIGEST_LENGTH || !server ||
      server->size() != SHA256_DIGEST_LENGTH) {
    return std::nullopt;
  }
  ScramVerifier v;
  v.iterations = iterations;
  v.salt = std::move(*salt);
  v.storedKey = std::move(*stored);
  v.serverKey = std::move(*server);
  return v;
}

std::string formatScramVerifier(const ScramVerifier& v) {
  return std::to_string(v.iterations) + "," + encodeBase64(v.salt) + "," +
         encodeBase64(v.storedKey) + "," + encodeBase64(v.serverKey);
}

ScramVerifier makeScramVerifier(std::string_view password, std::string salt,
                                unsigned iterations) {
  ScramVerifier v;
  v.iterations = iterations;
  v.salt = salt.empty() ? randomBytes(16) : std::move(salt);
  const std::string salted = saltedPassword(password, v.salt, iterations);
  v.storedKey = sha256(hmac(salted, "Client Key"));
  v.serverKey = hmac(salted, "Server Key");
  return v;
}

bool scramCheckPassword(const ScramVerifier& v, std::string_view password) {
  const std::string salted = saltedPassword(password, v.salt, v.iterations);
  return constantTimeEqual(sha256(hmac(salted, "Client Key")), v.storedKey);
}

bool ScramServer::clientFirst(std::string_view message) {
  // gs2-header: flag "," [authzid] ","
  const auto first = message.find(',');
  if (first == std::string_view::npos) {
    error_ = "malformed client-first-message";
    return false;
  }
  const std::string_view flag = message.substr(0, first);
  if (flag.substr(0, 2) == "p=") {
    error_ = "channel binding requested but not offered";
    return false;
  }
  if (flag != "n" && flag != "y") {
    error_ = "malformed gs2 header";
    return false;
  }
  const auto second = message.find(',', first + 1);
  if (second == std::string_view::npos) {
    error_ = "malformed gs2 header";
    return false;
  }
  const std::string_view authz = message.substr(first + 1, second - first - 1);
  if (!authz.empty()) {
    if (authz.substr(0, 2) != "a=") {
      error_ = "malformed authzid";
      return false;
    }
    auto decoded = decodeSaslName(authz.substr(2));
    if (!decoded) {
      error_ = "malformed authzid";
      return false;
    }
    authzid_ = *decoded;
  }
  gs2Header_ = std::string(message.substr(0, second + 1));
  clientFirstBare_ = std::string(message.substr(second + 1));
  const auto parts = splitCommas(clientFirstBare_);
  if (parts.size() < 2 || parts[0].substr(0, 2) != "n=" || parts[1].substr(0, 2) != "r=") {
    error_ = parts.empty() || parts[0].substr(0, 2) == "m=" ? "unsupported mandatory extension"
                                                          : "malformed client-first-message";
    return false;
  }
  auto name = decodeSaslName(parts[0].substr(2));
  if (!name || name->empty()) {
    error_ = "malformed user name";
    return false;
  }
  user_ = *name;
  clientNonce_ = std::string(parts[1].substr(2));
  if (!printableNonce(clientNonce_)) {
    error_ = "malformed nonce";
    return false;
  }
  return true;
}

std::string ScramServer::serverFirst(const std::optional<ScramVerifier>& verifier,
                                     const std::string& serverNonce) {
  verifier_ = verifier;
  std::string salt;
  unsigned iterations = kScramDefaultIterations;
  if (verifier_) {
    salt = verifier_->salt;
    iterations = verifier_->iterations;
  } else {
    salt = hmac(fakeKey_, user_).substr(0, 16);
  }
  nonce_ = clientNonce_ + (serverNonce.empty() ? encodeBase64(randomBytes(18)) : serverNonce);
  serverFirst_ = "r=" + nonce_ + ",s=" + encodeBase64(salt) + ",i=" + std::to_string(iterations);
  return serverFirst_;
}

std::optional<std::string> ScramServer::clientFinal(std::string_view message) {
  const auto proofAt = message.rfind(",p=");
  if (proofAt == std::string_view::npos) {
    error_ = "malformed client-final-message";
    return std::nullopt;
  }
  const std::string_view withoutProof = message.substr(0, proofAt);
  const auto parts = splitCommas(withoutProof);
  if (parts.size() < 2 || parts[0].substr(0, 2) != "c=" || parts[1].substr(0, 2) != "r=") {
    error_ = "malformed client-final-message";
    return std::nullopt;
  }
  const auto binding = decodeBase64(parts[0].substr(2));
  if (!binding || *binding != gs2Header_) {
    error_ = "channel binding data does not match";
    return std::nullopt;
  }
  if (parts[1].substr(2) != nonce_) {
    error_ = "nonce does not match";
    return std::nullopt;
  }
  const auto proof = decodeBase64(message.substr(proofAt + 3));
  if (!proof || proof->size() != SHA256_DIGEST_LENGTH) {
    error_ = "malformed proof";
    return std::nullopt;
  }
  if (!verifier_) {
    error_ = "no SCRAM-SHA-256 verifier";
    return std::nullopt;
  }
  const std::string authMessage =
      clientFirstBare_ + "," + serverFirst_ + "," + std::string(withoutProof);
  const std::string signature = hmac(verifier_->storedKey, authMessage);
  std::string clientKey(SHA256_DIGEST_LENGTH, '\0');
  for (std::size_t i = 0; i < clientKey.size(); ++i) {
    clientKey[i] = static_cast<char>((*proof)[i] ^ signature[i]);
  }
  if (!constantTimeEqual(sha256(clientKey), verifier_->storedKey)) {
    error_ = "password mismatch";
    return std::nullopt;
  }
  return "v=" + encodeBase64(hmac(verifier_->serverKey, authMessage));
}

}  // namespace posthorn::auth
