// virtual_maps_userdb - Postfix virtual(8)-style users, for migrants
//
// virtual_mailbox_maps maps an address to a mailbox path relative to
// virtual_mailbox_base; a path ending in "/" is a Maildir, anything else an
// mbox file. virtual_uid_maps and virtual_gid_maps give the owner, each a
// list of tables ("hash:/etc/mail/vuids") or "static:5000". As in Postfix,
// the address is looked up as "user@domain" and then as "@domain" (a
// catch-all), in each table of the list in turn; the uid and gid are looked
// up under the key that matched the mailbox. A "proxy:" prefix is ignored:
// authd reads the tables itself.
//
// The reply: mail "maildir:BASE/PATH/" with home the Maildir (no trailing
// slash), or "mbox:BASE/PATH" with no home; no quota (mailbox_size_limit
// applies). A uid below virtual_minimum_uid, a missing or non-numeric uid
// or gid, or a table that cannot be read is a temporary failure, so that the
// mail waits for the administrator instead of bouncing.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "auth/userdb_source.h"

namespace posthorn::map {
class LookupTable;
}

namespace posthorn::auth {

struct VirtualMapsSettings {
  std::vector<std::string> mailboxMaps;  // virtual_mailbox_maps
  std::vector<std::string> uidMaps;      // virtual_uid_maps
  std::vector<std::string> gidMaps;      // virtual_gid_maps
  std::string mailboxBase;               // virtual_mailbox_base
  std::uint32_t minimumUid{};            // virtual_minimum_uid
};

class VirtualMapsUserdb : public UserdbSource {
 public:
  explicit VirtualMapsUserdb(VirtualMapsSettings settings);
  ~VirtualMapsUserdb() override;

  std::optional<ipc::UserInfo> lookup(const UserAddress& address) override;
  std::string describe() const override { return "virtual_mailbox_maps"; }

 private:
  // The first value for key in the list of tables, or nullopt.
  std::optional<std::string> lookupIn(const std::vector<std::string>& tables,
                                      const std::string& key);
  std::optional<std::string> lookupTable(const std::string& spec, const std::string& key);
  std::uint32_t id(const std::vector<std::string>& tables, const char* param,
                   const std::string& key);

  VirtualMapsSettings settings_;
  std::map<std::string, std::unique_ptr<map::LookupTable>> open_;
};

}  // namespace posthorn::auth
