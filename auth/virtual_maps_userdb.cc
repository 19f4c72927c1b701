// virtual_maps_userdb - users from virtual_mailbox_maps and its uid/gid maps (see virtual_maps_userdb.h)
#include "auth/virtual_maps_userdb.h"

#include <limits>
#include <utility>

#include "lib/map/lookup_table.h"

namespace posthorn::auth {

namespace {

std::string withoutProxy(const std::string& spec) {
  static const std::string kProxy = "proxy:";
  return spec.compare(0, kProxy.size(), kProxy) == 0 ? spec.substr(kProxy.size()) : spec;
}

std::string trimmed(const std::string& s) {
  std::size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
  return s.substr(b, e - b);
}

// Whether a path has a ".." component (it would leave virtual_mailbox_base).
bool hasDotDot(const std::string& path) {
  std::size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (path.compare(start, end - start, "..") == 0) return true;
    start = end + 1;
  }
  return false;
}

}  // namespace

VirtualMapsUserdb::VirtualMapsUserdb(VirtualMapsSettings settings)
    : settings_(std::move(settings)) {
  while (settings_.mailboxBase.size() > 1 && settings_.mailboxBase.back() == '/') {
    settings_.mailboxBase.pop_back();
  }
}

VirtualMapsUserdb::~VirtualMapsUserdb() = default;

std::optional<std::string> VirtualMapsUserdb::lookupTable(const std::string& rawSpec,
                                                          const std::string& key) {
  const std::string spec = withoutProxy(rawSpec);
  static const std::string kStatic = "static:";
  if (spec.compare(0, kStatic.size(), kStatic) == 0) return spec.substr(kStatic.size());
  auto it = open_.find(spec);
  try {
    if (it == open_.end()) it = open_.emplace(spec, map::openTable(spec)).first;
    return it->second->lookup(key);
  } catch (const map::MapError& e) {
    // Not kept: the next lookup opens it again (it may be built by then).
    if (it != open_.end()) open_.erase(it);
    throw UserdbTempFail(std::string(e.what()));
  }
}

std::optional<std::string> VirtualMapsUserdb::lookupIn(const std::vector<std::string>& tables,
                                                       const std::string& key) {
  for (const auto& table : tables) {
    if (auto value = lookupTable(table, key)) return value;
  }
  return std::nullopt;
}

std::uint32_t VirtualMapsUserdb::id(const std::vector<std::string>& tables, const char* param,
                                    const std::string& key) {
  const auto value = lookupIn(tables, key);
  if (!value) throw UserdbTempFail(std::string(param) + " has no entry for " + key);
  const std::string text = trimmed(*value);
  unsigned long long n = 0;
  bool ok = !text.empty() && text.size() <= 10;
  for (char c : text) ok = ok && c >= '0' && c <= '9';
  if (ok) n = std::stoull(text);
  if (!ok || n >= std::numeric_limits<std::uint32_t>::max()) {
    throw UserdbTempFail(std::string(param) + ": \"" + text + "\" for " + key +
                         " is not a number");
  }
  return static_cast<std::uint32_t>(n);
}

std::optional<ipc::UserInfo> VirtualMapsUserdb::lookup(const UserAddress& address) {
  if (settings_.mailboxMaps.empty() || address.domain.empty()) return std::nullopt;
  std::string key = address.full;
  auto mailbox = lookupIn(settings_.mailboxMaps, key);
  if (!mailbox) {
    key = "@" + address.domain;
    mailbox = lookupIn(settings_.mailboxMaps, key);
  }
  if (!mailbox) return std::nullopt;

  const std::string path = trimmed(*mailbox);
  if (path.empty() || hasDotDot(path)) {
    throw UserdbTempFail("virtual_mailbox_maps: bad mailbox path \"" + path + "\" for " + key);
  }
  if (settings_.mailboxBase.empty() || settings_.mailboxBase.front() != '/') {
    throw UserdbTempFail("virtual_mailbox_base \"" + settings_.mailboxBase +
                         "\" is not an absolute path");
  }
  ipc::UserInfo user;
  user.name = key.front() == '@' ? address.full : key;
  user.source = ipc::UserSource::VirtualMaps;
  user.uid = id(settings_.uidMaps, "virtual_uid_maps", key);
  user.gid = id(settings_.gidMaps, "virtual_gid_maps", key);
  if (user.uid < settings_.minimumUid) {
    throw UserdbTempFail("virtual_uid_maps: uid " + std::to_string(user.uid) + " of " + key +
                         " is below virtual_minimum_uid " +
                         std::to_string(settings_.minimumUid));
  }
  const std::string full =
      settings_.mailboxBase + (path.front() == '/' ? "" : "/") + path;
  if (full.back() == '/') {
    user.mail = "maildir:" + full;
    user.home = full.substr(0, full.size() - 1);
  } else {
    user.mail = "mbox:" + full;
  }
  return user;
}

}  // namespace posthorn::auth
