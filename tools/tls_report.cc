// tls_report - RFC 8460 aggregate JSON from the session lines
#include "tools/tls_report.h"

#include <map>
#include <nlohmann/json.hpp>
#include <tuple>

#include "lib/mailauth/tag_list.h"
#include "lib/util/ascii.h"
#include "tools/daily_reports.h"

namespace posthorn::tools {
namespace {

using json = nlohmann::ordered_json;

std::string text(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

std::vector<std::string> texts(const nlohmann::json& j, const char* key) {
  std::vector<std::string> out;
  const auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const auto& v : *it)
    if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

using PolicyKey = std::tuple<std::string, std::vector<std::string>, std::vector<std::string>>;
using DetailKey = std::tuple<std::string, std::string, std::string, std::string, std::string>;

struct Domain {
  std::vector<PolicyKey> order;  // policies in the order first seen
  std::map<PolicyKey, TlsPolicyResult> policies;
  std::map<PolicyKey, std::map<DetailKey, long>> details;
};

}  // namespace

long TlsReport::successes() const {
  long n = 0;
  for (const auto& p : policies) n += p.successes;
  return n;
}

long TlsReport::failures() const {
  long n = 0;
  for (const auto& p : policies) n += p.failures;
  return n;
}

std::vector<TlsReport> buildTlsReports(const std::vector<std::string>& sessionLines, std::time_t dayStart,
                                       const TlsSubmitter& submitter, int* skipped) {
  std::vector<std::string> domainOrder;
  std::map<std::string, Domain> domains;
  for (const std::string& line : sessionLines) {
    if (line.empty()) continue;
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    const std::string domain = j.is_object() ? util::lower(text(j, "policy_domain")) : "";
    const std::string type = j.is_object() ? text(j, "policy_type") : "";
    const std::string result = j.is_object() ? text(j, "result") : "";
    // The domain goes into a file name and a Subject:.
    if (!isDnsName(domain) || (type != "sts" && type != "tlsa" && type != "no-policy-found") || result.empty()) {
      ++*skipped;
      continue;
    }
    if (!domains.count(domain)) domainOrder.push_back(domain);
    Domain& d = domains[domain];
    const PolicyKey key{type, texts(j, "policy_string"), texts(j, "policy_mx")};
    auto [it, fresh] = d.policies.try_emplace(key);
    TlsPolicyResult& p = it->second;
    if (fresh) {
      d.order.push_back(key);
      p.type = type;
      p.strings = std::get<1>(key);
      p.mx = std::get<2>(key);
    }
    if (result == "success") {
      ++p.successes;
      continue;
    }
    ++p.failures;
    ++d.details[key][{result, text(j, "sending_mta_ip"), text(j, "mx_host"), text(j, "receiving_ip"),
                      text(j, "failure_reason_code")}];
  }
  std::vector<TlsReport> reports;
  const std::string day = utcText(dayStart, "%Y%m%d");
  for (const std::string& domain : domainOrder) {
    Domain& d = domains[domain];
    TlsReport r;
    r.policyDomain = domain;
    r.begin = dayStart;
    r.end = dayStart + 86399;
    r.submitter = submitter;
    // The same for the same day and domain: a report sent again (-d
    // DAY.reported) is recognisably the same report.
    r.reportId = day + "." + domain + "@" + submitter.hostname;
    for (const PolicyKey& key : d.order) {
      TlsPolicyResult p = d.policies[key];
      for (const auto& [k, count] : d.details[key])
        p.details.push_back({std::get<0>(k), std::get<1>(k), std::get<2>(k), std::get<3>(k), std::get<4>(k), count});
      r.policies.push_back(std::move(p));
    }
    reports.push_back(std::move(r));
  }
  return reports;
}

std::string tlsReportJson(const TlsReport& r) {
  json doc;
  doc["organization-name"] = r.submitter.orgName;
  doc["date-range"] = {{"start-datetime", utcText(r.begin, "%Y-%m-%dT%H:%M:%SZ")},
                       {"end-datetime", utcText(r.end, "%Y-%m-%dT%H:%M:%SZ")}};
  doc["contact-info"] = r.submitter.contact;
  doc["report-id"] = r.reportId;
  doc["policies"] = json::array();
  for (const TlsPolicyResult& p : r.policies) {
    json policy;
    policy["policy-type"] = p.type;
    if (!p.strings.empty()) policy["policy-string"] = p.strings;
    policy["policy-domain"] = r.policyDomain;
    if (!p.mx.empty()) policy["mx-host"] = p.mx;
    json entry;
    entry["policy"] = policy;
    entry["summary"] = {{"total-successful-session-count", p.successes},
                        {"total-failure-session-count", p.failures}};
    if (!p.details.empty()) {
      json details = json::array();
      for (const TlsFailureDetail& f : p.details) {
        json d;
        d["result-type"] = f.resultType;
        if (!f.sendingIp.empty()) d["sending-mta-ip"] = f.sendingIp;
        if (!f.receivingMx.empty()) d["receiving-mx-hostname"] = f.receivingMx;
        if (!f.receivingIp.empty()) d["receiving-ip"] = f.receivingIp;
        d["failed-session-count"] = f.count;
        if (!f.reasonCode.empty()) d["failure-reason-code"] = f.reasonCode;
        details.push_back(d);
      }
      entry["failure-details"] = details;
    }
    doc["policies"].push_back(entry);
  }
  return doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string tlsReportFileName(const TlsReport& r) {
  return r.submitter.orgName + "!" + r.policyDomain + "!" + std::to_string(static_cast<long long>(r.begin)) + "!" +
         std::to_string(static_cast<long long>(r.end)) + "!" + utcText(r.begin, "%Y%m%d") +
         ".json.gz";
}

std::string tlsRptRua(const std::vector<std::string>& txt) {
  std::string rua;
  int records = 0;
  for (const std::string& v : txt) {
    // "v=TLSRPTv1" must come first (RFC 8460 3).
    if (!util::startsWithIgnoreCase(v, "v=TLSRPTv1")) continue;
    const char next = v.size() > 10 ? v[10] : ';';
    if (next != ';' && next != ' ' && next != '\t') continue;
    ++records;
    rua = mailauth::tagValue(v, "rua");
  }
  return records == 1 ? rua : "";
}

}  // namespace posthorn::tools
