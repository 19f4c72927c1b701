// dmarc_history - the daily JSON-lines files of DMARC evaluations
#include "lib/mailauth/dmarc_history.h"

#include <cstdio>

#include "lib/util/ascii.h"

namespace posthorn::mailauth {
namespace {

// The length of the valid UTF-8 sequence at s[i], 0 if there is none.
std::size_t utf8Length(std::string_view s, std::size_t i) {
  const auto u = static_cast<unsigned char>(s[i]);
  std::size_t n = u >= 0xF0 && u <= 0xF4 ? 4 : u >= 0xE0 ? 3 : u >= 0xC2 && u <= 0xDF ? 2 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  return n;
}

// A JSON string. The text comes from the sender's DNS and SMTP session,
// so any byte: control characters and bytes that are not valid UTF-8 are
// escaped as \u00XX (the file stays valid JSON, the byte stays visible).
std::string json(std::string_view s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size();) {
    const char c = s[i];
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (const std::size_t n = u >= 0x80 ? utf8Length(s, i) : 0) {
      out.append(s.substr(i, n));
      i += n;
      continue;
    } else if (u < 0x20 || u >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
    ++i;
  }
  return out + "\"";
}

std::string field(std::string_view name, std::string_view value) {
  return json(name) + ":" + json(value);
}

std::string domainOf(const std::string& address) {
  const auto at = address.rfind('@');
  return util::lower(at == std::string::npos ? address : address.substr(at + 1));
}

}  // namespace

std::string historyLine(const CheckResults& r, const HistoryContext& context) {
  const DmarcOutcome& d = r.dmarc;
  if (d.policyDomain.empty()) return "";
  const std::time_t when = context.time != 0 ? context.time : std::time(nullptr);
  std::string line = "{\"time\":" + std::to_string(static_cast<long long>(when));
  line += "," + field("queue_id", context.queueId);
  line += "," + field("source_ip", r.clientAddress);
  line += "," + field("helo", r.helo);
  line += "," + field("envelope_from", domainOf(r.sender));
  line += "," + field("header_from", d.fromDomain);
  line += "," + field("policy_domain", d.policyDomain);
  line += "," + field("record", d.record);
  line += "," + field("policy", d.policy);
  line += ",\"pct\":" + std::to_string(d.pct);
  line += "," + field("dmarc", d.result);
  line += "," + field("disposition", d.disposition);
  line += "," + field("applied", context.applied);
  if (!context.override.empty()) line += "," + field("override", context.override);
  line += ",\"spf\":{" + field("domain", util::lower(r.spf.domain)) + "," +
          field("scope", r.spf.identity == "helo" ? "helo" : "mfrom") + "," +
          field("result", spfResultName(r.spf.result)) +
          ",\"aligned\":" + (d.spfAligned ? "true" : "false") + "}";
  line += ",\"dkim\":[";
  for (std::size_t i = 0; i < r.dkim.signatures.size(); ++i) {
    const DkimSignature& s = r.dkim.signatures[i];
    line += (i ? ",{" : "{") + field("domain", util::lower(s.domain)) + "," +
            field("selector", s.selector) + "," + field("result", s.result) + "}";
  }
  line += "],\"dkim_aligned\":";
  line += d.dkimAligned ? "true" : "false";
  return line + "}";
}

void DmarcHistory::record(const CheckResults& results, const HistoryContext& context) {
  HistoryContext c = context;
  if (c.time == 0) c.time = std::time(nullptr);
  const std::string line = historyLine(results, c);
  if (!line.empty()) file_.append(line, c.time);
}

}  // namespace posthorn::mailauth
