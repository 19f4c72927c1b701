// system_userdb - the host's own users (getpwnam) for local domains
//
// An address whose domain is in mydestination (or a bare login) belongs to
// the system user of the same name, as Postfix's local(8) sees it: the
// local part, folded to lower case, is looked up with getpwnam_r(3) (so NSS
// sources such as LDAP count too). The reply carries the account's uid,
// primary gid and home directory, no mail location and no quota: local
// applies home_mailbox or /var/mail, and mailbox_size_limit. Which accounts
// may receive mail (root's mail goes through aliases) is local's policy;
// this source only describes them.
#pragma once

#include <optional>
#include <string>
#include <sys/types.h>

#include "auth/userdb_source.h"

namespace posthorn::auth {

class SystemUserdb : public UserdbSource {
 public:
  std::optional<ipc::UserInfo> lookup(const UserAddress& address) override;
  std::string describe() const override { return "system users"; }
};

struct SystemAccount {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string home;
};

// getpwnam_r(3): the account, nullopt when there is none. Throws
// UserdbTempFail when the lookup itself failed (an NSS source that is down).
std::optional<SystemAccount> findSystemAccount(const std::string& name);
// getgrnam_r(3): the group's gid, nullopt when there is none; throws
// UserdbTempFail as above.
std::optional<gid_t> findSystemGroup(const std::string& name);

}  // namespace posthorn::auth
