// system_userdb - answers for system accounts through getpwnam_r (see system_userdb.h)
#include "auth/system_userdb.h"

#include <grp.h>
#include <pwd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace posthorn::auth {

namespace {

// getpwnam_r and getgrnam_r report "no such entry" as a zero return with a
// null result, and (depending on the NSS module) as one of these errors.
bool meansNotFound(int rc) {
  return rc == 0 || rc == ENOENT || rc == ESRCH || rc == EBADF || rc == EPERM;
}

}  // namespace

std::optional<SystemAccount> findSystemAccount(const std::string& name) {
  if (name.empty()) return std::nullopt;
  std::vector<char> buf(4096);
  while (true) {
    passwd pw{};
    passwd* result = nullptr;
    const int rc = ::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &result);
    if (rc == ERANGE && buf.size() < (1u << 20)) {
      buf.resize(buf.size() * 4);
      continue;
    }
    if (result != nullptr) {
      return SystemAccount{pw.pw_name, pw.pw_uid, pw.pw_gid, pw.pw_dir ? pw.pw_dir : ""};
    }
    if (meansNotFound(rc)) return std::nullopt;
    throw UserdbTempFail("getpwnam(" + name + "): " + std::strerror(rc));
  }
}

std::optional<gid_t> findSystemGroup(const std::string& name) {
  if (name.empty()) return std::nullopt;
  std::vector<char> buf(4096);
  while (true) {
    group gr{};
    group* result = nullptr;
    const int rc = ::getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &result);
    if (rc == ERANGE && buf.size() < (1u << 22)) {
      buf.resize(buf.size() * 4);
      continue;
    }
    if (result != nullptr) return gr.gr_gid;
    if (meansNotFound(rc)) return std::nullopt;
    throw UserdbTempFail("getgrnam(" + name + "): " + std::strerror(rc));
  }
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
