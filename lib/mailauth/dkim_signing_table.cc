// dkim_signing_table - the table read, its keys loaded and checked
#include "lib/mailauth/dkim_signing_table.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>

#include "lib/config/config.h"
#include "lib/map/map_source.h"
#include "lib/util/ascii.h"

namespace posthorn::mailauth {
namespace {

[[noreturn]] void bad(const std::string& where, const std::string& why) {
  throw config::ConfigError("dkim_signing_maps: " + where + ": " + why);
}

bool isLabel(std::string_view label) {
  if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
  for (char c : label)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-')) return false;
  return true;
}

// The whole file, or a reason. Keys are small; anything over 64 KiB is
// not one.
std::string readKeyFile(const std::string& path, const std::string& where) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) bad(where, "cannot read the key " + path + ": " + std::strerror(errno));
  struct stat st {};
  std::string text;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= 65536) {
    // Like OpenDKIM's RequireSafeKeys: a key anyone may read is no secret.
    if ((st.st_mode & S_IROTH) != 0) {
      ::close(fd);
      bad(where, "the key " + path + " is readable by everyone (chmod o-r it)");
    }
    text.resize(static_cast<std::size_t>(st.st_size));
    const ssize_t n = ::read(fd, text.data(), text.size());
    if (n != st.st_size) text.clear();
  }
  ::close(fd);
  if (text.empty()) bad(where, "the key " + path + " is not a readable key file");
  return text;
}

std::shared_ptr<const DkimKey> loadKey(const std::string& domain, const std::string& selector,
                                       const std::string& configDirectory, const std::string& where) {
  auto key = std::make_shared<DkimKey>();
  key->domain = domain;
  key->selector = selector;
  key->file = configDirectory + "/dkim/" + domain + "/" + selector + ".key";
  key->pem = readKeyFile(key->file, where);
  BIO* bio = BIO_new_mem_buf(key->pem.data(), static_cast<int>(key->pem.size()));
  EVP_PKEY* pkey = bio != nullptr ? PEM_read_bio_PrivateKey_ex(bio, nullptr, nullptr, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  if (pkey == nullptr) bad(where, key->file + " holds no PEM private key");
  const int type = EVP_PKEY_get_base_id(pkey);
  key->bits = EVP_PKEY_get_bits(pkey);
  EVP_PKEY_free(pkey);
  if (type == EVP_PKEY_RSA) {
    key->algorithm = "rsa-sha256";
    if (key->bits < 1024) bad(where, key->file + ": RSA keys under 1024 bits are not accepted (RFC 8301)");
  } else if (type == EVP_PKEY_ED25519) {
    key->algorithm = "ed25519-sha256";
  } else {
    bad(where, key->file + ": only RSA and ed25519 keys sign DKIM");
  }
  return key;
}

}  // namespace

bool isDkimName(std::string_view name, bool domain) {
  if (name.empty() || name.size() > 253) return false;
  std::size_t labels = 0;
  for (;;) {
    const auto dot = name.find('.');
    if (!isLabel(name.substr(0, dot))) return false;
    ++labels;
    if (dot == std::string_view::npos) break;
    name.remove_prefix(dot + 1);
  }
  return !domain || labels >= 2;
}

DkimSigningTable DkimSigningTable::load(std::string_view spec, const std::string& configDirectory) {
  std::string path(spec);
  if (path.rfind("texthash:", 0) == 0) path.erase(0, 9);
  else if (path.find(':') != std::string::npos && path.front() != '/')
    throw config::ConfigError("dkim_signing_maps: \"" + std::string(spec) +
                              "\": only texthash: tables (text files) are read, before the chroot");
  map::MapSource source;
  try {
    source = map::readMapSource(path, map::SourceFormat::Postmap);
  } catch (const std::exception& e) {
    throw config::ConfigError(std::string("dkim_signing_maps: ") + e.what());
  }
  DkimSigningTable table;
  // One key file read once however many lines name it.
  std::map<std::string, std::shared_ptr<const DkimKey>> loaded;
  for (const map::SourceEntry& e : source.entries) {
    const std::string where = path + ":" + std::to_string(e.line);
    std::string_view own = e.key;
    if (own != "*") {
      if (!own.empty() && own.front() == '.') own.remove_prefix(1);
      if (!isDkimName(own, true)) bad(where, "\"" + e.key + "\" is not a domain, .domain or *");
    }
    std::vector<std::shared_ptr<const DkimKey>> keys;
    std::string_view rest = e.value;
    while (!rest.empty()) {
      const auto end = rest.find_first_of(", \t");
      const std::string item = util::lower(rest.substr(0, end));
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
      if (item.empty()) continue;
      const auto slash = item.find('/');
      const std::string domain = slash == std::string::npos ? std::string(own) : item.substr(0, slash);
      const std::string selector = slash == std::string::npos ? item : item.substr(slash + 1);
      if (domain == "*") bad(where, "\"" + item + "\": the * line must name its key as DOMAIN/SELECTOR");
      if (!isDkimName(domain, true)) bad(where, "\"" + item + "\": \"" + domain + "\" is not a domain");
      if (!isDkimName(selector, false)) bad(where, "\"" + item + "\": \"" + selector + "\" is not a selector");
      auto& key = loaded[domain + "/" + selector];
      if (!key) key = loadKey(domain, selector, configDirectory, where);
      keys.push_back(key);
    }
    if (keys.empty()) bad(where, "no selector for " + e.key);
    if (keys.size() > 4) bad(where, "more than 4 keys for " + e.key);
    table.order_.push_back(e.key);
    table.entries_.emplace(e.key, std::move(keys));
  }
  return table;
}

std::vector<std::shared_ptr<const DkimKey>> DkimSigningTable::keysFor(std::string_view fromDomain) const {
  if (entries_.empty()) return {};
  if (const auto it = entries_.find(fromDomain); it != entries_.end()) return it->second;
  for (std::string_view d = fromDomain; !d.empty();) {
    const auto dot = d.find('.');
    if (dot == std::string_view::npos) break;
    d.remove_prefix(dot);  // ".parent"
    if (const auto it = entries_.find(d); it != entries_.end()) return it->second;
    d.remove_prefix(1);
  }
  if (const auto it = entries_.find("*"); it != entries_.end()) return it->second;
  return {};
}

std::vector<DkimSigningTable::Entry> DkimSigningTable::entries() const {
  std::vector<Entry> out;
  for (const std::string& d : order_) out.push_back({d, entries_.at(d)});
  return out;
}

}  // namespace posthorn::mailauth
