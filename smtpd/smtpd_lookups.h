// smtpd_lookups - the real Lookups: the address resolver and alias tables
// through mapd, user existence through authd's userdb
#pragma once

#include <memory>
#include <string>

#include "lib/address/address_resolver.h"
#include "lib/config/config.h"
#include "lib/proto/map_client.h"
#include "lib/map/table_lookup.h"
#include "lib/proto/userdb_client.h"
#include "smtpd/smtpd_services.h"

namespace posthorn::smtpd {

class ServiceLookups : public Lookups {
 public:
  // Throws config::ConfigError for a bad resolver parameter.
  ServiceLookups(const config::Config& cfg, const std::string& mapdSocket,
                 const std::string& userdbSocket);

  address::Resolution resolve(const address::Address& recipient) override;
  bool userExists(std::string_view address) override;
  std::optional<std::string> tableLookup(std::string_view table, std::string_view key) override;

 private:
  mapd::MapClient maps_;
  address::MapdTableLookup tables_;
  address::AddressResolver resolver_;
  userdb::UserdbClient users_;
};

}  // namespace posthorn::smtpd
