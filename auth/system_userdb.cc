// system_userdb - answers for system accounts through getpwnam_r (see system_userdb.h)
#include "auth/system_userdb.h"

#include <grp.h>
#include <pwd.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

namespace posthorn::auth {

namespace {

// getpwnam_r and getgrnam_r report "no such entry" as a zero return with a
// null result, and (depending on the NSS module) as one of these errors.
bool meansNotFound(int rc) {
  return rc == 0 || rc == ENOENT || rc == ESRCH || rc == EBADF || rc == EPERM;
}

// getpwnam_r or getgrnam_r (`call`, named `what` in errors) with a buffer
// grown up to maxBuffer until the entry fits; `take` makes the answer of
// the entry. No such entry is nullopt; any other failure throws.
template <class Entry, class Take>
auto nssLookup(int (*call)(const char*, Entry*, char*, std::size_t, Entry**), const char* what,
               const std::string& name, std::size_t maxBuffer, Take take)
    -> std::optional<decltype(take(std::declval<const Entry&>()))> {
  if (name.empty()) return std::nullopt;
  std::vector<char> buf(4096);
  while (true) {
    Entry entry{};
    Entry* result = nullptr;
    const int rc = call(name.c_str(), &entry, buf.data(), buf.size(), &result);
    if (rc == ERANGE && buf.size() < maxBuffer) {
      buf.resize(buf.size() * 4);
      continue;
    }
    if (result != nullptr) return take(entry);
    if (meansNotFound(rc)) return std::nullopt;
    throw UserdbTempFail(std::string(what) + "(" + name + "): " + std::strerror(rc));
  }
}

}  // namespace

std::optional<SystemAccount> findSystemAccount(const std::string& name) {
  return nssLookup(::getpwnam_r, "getpwnam", name, 1u << 20, [](const passwd& pw) {
    return SystemAccount{pw.pw_name, pw.pw_uid, pw.pw_gid, pw.pw_dir ? pw.pw_dir : ""};
  });
}

std::optional<gid_t> findSystemGroup(const std::string& name) {
  return nssLookup(::getgrnam_r, "getgrnam", name, 1u << 22,
                   [](const group& gr) { return gr.gr_gid; });
}

std::optional<ipc::UserInfo> SystemUserdb::lookup(const UserAddress& address) {
  if (!address.localDomain) return std::nullopt;
  const auto account = findSystemAccount(address.local);
  if (!account) return std::nullopt;
  ipc::UserInfo user;
  user.name = account->name;
  user.source = ipc::UserSource::System;
  user.uid = account->uid;
  user.gid = account->gid;
  user.home = account->home;
  return user;
}

}  // namespace posthorn::auth
