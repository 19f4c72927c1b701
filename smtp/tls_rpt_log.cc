// tls_rpt_log - the daily JSON-lines files of TLS sessions
#include "smtp/tls_rpt_log.h"

#include <nlohmann/json.hpp>

namespace posthorn::smtp {

std::string tlsRptLine(const TlsRptSession& s, std::time_t time) {
  nlohmann::ordered_json j;
  j["time"] = static_cast<long long>(time);
  j["policy_domain"] = s.policyDomain;
  j["policy_type"] = s.policy.type;
  j["policy_string"] = s.policy.strings;
  j["policy_mx"] = s.policy.mx;
  j["mx_host"] = s.mxHost;
  j["receiving_ip"] = s.receivingIp;
  j["sending_mta_ip"] = s.sendingIp;
  j["result"] = s.result;
  j["failure_reason_code"] = s.reason;
  // The texts come from DNS and the servers: bytes that are not UTF-8 are
  // replaced, so that the line stays JSON.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void TlsRptLog::record(const TlsRptSession& session, std::time_t time) {
  if (time == 0) time = std::time(nullptr);
  file_.append(tlsRptLine(session, time), time);
}

}  // namespace posthorn::smtp
