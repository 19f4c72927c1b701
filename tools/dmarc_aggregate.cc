// dmarc_aggregate - history lines grouped into rows, rows into <feedback>
#include "tools/dmarc_aggregate.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <optional>
#include <map>
#include <nlohmann/json.hpp>
#include <tuple>

#include "lib/mailauth/tag_list.h"
#include "lib/util/ascii.h"
#include "tools/daily_reports.h"

namespace posthorn::tools {
namespace {

using json = nlohmann::json;

std::string str(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string xmlEscaped(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default:
        // XML 1.0 has no place for other control characters.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') out += '?';
        else out += c;
    }
  }
  return out;
}

std::string element(const std::string& name, const std::string& value) {
  return "<" + name + ">" + xmlEscaped(value) + "</" + name + ">";
}

// IPv6 written out in full: Appendix C's IPAddress pattern knows only the
// eight-group form ("2001:db8:0:0:0:0:0:7", not "2001:db8::7").
std::string reportAddress(const std::string& ip) {
  in6_addr a{};
  if (ip.find(':') == std::string::npos || ::inet_pton(AF_INET6, ip.c_str(), &a) != 1) return ip;
  std::string out;
  for (int i = 0; i < 16; i += 2) {
    char group[8];
    std::snprintf(group, sizeof group, "%x", (a.s6_addr[i] << 8) | a.s6_addr[i + 1]);
    out += (i ? ":" : "") + std::string(group);
  }
  return out;
}

void parseRua(const std::string& rua, AggregateReport& r) {
  for (const ReportUri& u : mailtoAddresses(rua)) {
    r.rua.push_back(u.address);
    r.ruaLimits.push_back(u.limit);
  }
}

}  // namespace



long AggregateReport::messages() const {
  long n = 0;
  for (const auto& row : rows) n += row.count;
  return n;
}

std::vector<AggregateReport> buildAggregateReports(const std::vector<std::string>& lines, std::time_t dayStart,
                                                   const ReporterInfo& reporter, int* skipped) {
  std::map<std::string, AggregateReport> byDomain;
  // A row's identity: everything it reports but the count.
  using RowKey = std::tuple<std::string, std::string, std::string, std::string, std::string, std::string,
                            std::string, std::string>;
  std::map<std::string, std::map<RowKey, ReportRow>> rows;
  int bad = 0;
  for (const std::string& line : lines) {
    if (line.empty()) continue;
    const json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || str(j, "policy_domain").empty() || str(j, "source_ip").empty()) {
      ++bad;
      continue;
    }
    const std::string domain = util::lower(str(j, "policy_domain"));
    if (!isDnsName(domain)) {  // it goes into a file name and a Subject:
      ++bad;
      continue;
    }
    AggregateReport& r = byDomain[domain];
    r.policyDomain = domain;
    r.record = str(j, "record");  // the last one seen wins: the policy at the end of the day
    ReportRow row;
    row.sourceIp = reportAddress(str(j, "source_ip"));
    row.envelopeFrom = str(j, "envelope_from");
    row.headerFrom = str(j, "header_from");
    const std::string applied = str(j, "applied"), disposition = str(j, "disposition");
    row.disposition = applied.empty() ? "none" : applied;
    if (!str(j, "override").empty()) row.reason = str(j, "override");
    else if (!disposition.empty() && applied != disposition) row.reason = "local_policy";
    else if (str(j, "dmarc") == "fail" && disposition != str(j, "policy")) row.reason = "sampled_out";
    row.dkimAligned = j.value("dkim_aligned", false) ? "pass" : "fail";
    const json spf = j.value("spf", json::object());
    row.spfAligned = spf.is_object() && spf.value("aligned", false) ? "pass" : "fail";
    row.spfDomain = spf.is_object() ? str(spf, "domain") : "";
    row.spfScope = spf.is_object() && str(spf, "scope") == "helo" ? "helo" : "mfrom";
    row.spfResult = spf.is_object() ? str(spf, "result") : "";
    if (row.spfResult.empty()) row.spfResult = "none";
    if (row.spfDomain.empty()) row.spfDomain = row.envelopeFrom;
    std::string dkimKey;
    for (const json& d : j.value("dkim", json::array())) {
      if (!d.is_object()) continue;
      row.dkim.push_back({str(d, "domain"), str(d, "selector"), str(d, "result")});
      dkimKey += str(d, "domain") + "/" + str(d, "selector") + "=" + str(d, "result") + ";";
    }
    const RowKey key{row.sourceIp, row.disposition + "/" + row.reason, row.dkimAligned, row.spfAligned,
                     row.envelopeFrom, row.headerFrom, dkimKey,
                     row.spfDomain + "/" + row.spfScope + "=" + row.spfResult};
    ReportRow& slot = rows[domain][key];
    if (slot.count == 0) slot = row;
    ++slot.count;
  }
  if (skipped != nullptr) *skipped = bad;

  std::vector<AggregateReport> out;
  for (auto& [domain, r] : byDomain) {
    parseRua(mailauth::tagValue(r.record, "rua"), r);
    r.p = mailauth::tagValue(r.record, "p");
    if (r.p != "none" && r.p != "quarantine" && r.p != "reject") r.p = "none";
    r.sp = mailauth::tagValue(r.record, "sp");
    if (r.sp != "none" && r.sp != "quarantine" && r.sp != "reject") r.sp = r.p;
    r.adkim = mailauth::tagValue(r.record, "adkim") == "s" ? "s" : "r";
    r.aspf = mailauth::tagValue(r.record, "aspf") == "s" ? "s" : "r";
    r.fo = mailauth::tagValue(r.record, "fo");
    if (r.fo.empty()) r.fo = "0";
    const std::string pct = mailauth::tagValue(r.record, "pct");
    r.pct = pct.empty() ? 100 : std::clamp(std::atoi(pct.c_str()), 0, 100);
    r.begin = dayStart;
    r.end = dayStart + 86399;
    r.reporter = reporter;
    r.reportId = std::to_string(static_cast<long long>(dayStart)) + "." + domain + "@" + reporter.receiver;
    for (auto& [key, row] : rows[domain]) r.rows.push_back(row);
    out.push_back(std::move(r));
  }
  return out;
}

std::string aggregateReportXml(const AggregateReport& r) {
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feedback>\n  <version>1.0</version>\n";
  x += "  <report_metadata>\n    " + element("org_name", r.reporter.orgName) + "\n    " +
       element("email", r.reporter.email) + "\n    " + element("report_id", r.reportId) +
       "\n    <date_range><begin>" + std::to_string(static_cast<long long>(r.begin)) + "</begin><end>" +
       std::to_string(static_cast<long long>(r.end)) + "</end></date_range>\n  </report_metadata>\n";
  x += "  <policy_published>\n    " + element("domain", r.policyDomain) + "\n    " + element("adkim", r.adkim) +
       "\n    " + element("aspf", r.aspf) + "\n    " + element("p", r.p) + "\n    " + element("sp", r.sp) +
       "\n    " + element("pct", std::to_string(r.pct)) + "\n    " + element("fo", r.fo) +
       "\n  </policy_published>\n";
  for (const ReportRow& row : r.rows) {
    x += "  <record>\n    <row>\n      " + element("source_ip", row.sourceIp) + "\n      " +
         element("count", std::to_string(row.count)) + "\n      <policy_evaluated>" +
         element("disposition", row.disposition) + element("dkim", row.dkimAligned) +
         element("spf", row.spfAligned);
    if (!row.reason.empty()) x += "<reason>" + element("type", row.reason) + "</reason>";
    x += "</policy_evaluated>\n    </row>\n    <identifiers>" + element("envelope_from", row.envelopeFrom) +
         element("header_from", row.headerFrom) + "</identifiers>\n    <auth_results>\n";
    for (const auto& d : row.dkim)
      x += "      <dkim>" + element("domain", d.domain) + element("selector", d.selector) +
           element("result", d.result) + "</dkim>\n";
    x += "      <spf>" + element("domain", row.spfDomain) + element("scope", row.spfScope) +
         element("result", row.spfResult) + "</spf>\n    </auth_results>\n  </record>\n";
  }
  return x + "</feedback>\n";
}

std::string aggregateReportFileName(const AggregateReport& r) {
  return r.reporter.receiver + "!" + r.policyDomain + "!" + std::to_string(static_cast<long long>(r.begin)) + "!" +
         std::to_string(static_cast<long long>(r.end)) + ".xml.gz";
}

}  // namespace posthorn::tools
