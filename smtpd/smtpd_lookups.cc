// smtpd_lookups - resolver, mapd and authd behind smtpd's Lookups interface
#include "smtpd/smtpd_lookups.h"

namespace posthorn::smtpd {

ServiceLookups::ServiceLookups(const config::Config& cfg, const std::string& mapdSocket,
                               const std::string& userdbSocket)
    : maps_(mapdSocket), tables_(maps_), resolver_(cfg, tables_), users_(userdbSocket, "smtpd") {}

address::Resolution ServiceLookups::resolve(const address::Address& recipient) {
  return resolver_.resolve(recipient);
}

bool ServiceLookups::userExists(std::string_view address) {
  try {
    return users_.lookup(address).has_value();
  } catch (const userdb::UserdbError& e) {
    throw LookupError(std::string("userdb: ") + e.what());
  }
}

std::optional<std::string> ServiceLookups::tableLookup(std::string_view table,
                                                       std::string_view key) {
  try {
    return tables_.lookup(table, key);
  } catch (const address::TableLookupError& e) {
    throw LookupError(e.what());
  }
}

}  // namespace posthorn::smtpd
