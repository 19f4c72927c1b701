// tls_report_test - SMTP TLS reports (RFC 8460) from the session lines
// smtp keeps (tools/tls_report): one report per policy domain, one entry
// per policy with its session counts, failures grouped into
// failure-details with their counts, the JSON's fields and names, the
// file name, and the _smtp._tls record's rua=
#include "tools/tls_report.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tools/daily_reports.h"
#include "tools/gzip.h"

namespace posthorn::tools {
namespace {

const TlsSubmitter kSubmitter{"send.test", "reports@send.test", "mx.send.test"};
constexpr std::time_t kDay = 1796515200;  // 2026-12-06 00:00:00 UTC

const char* kSts = R"("policy_type":"sts",)"
                   R"("policy_string":["version: STSv1","mode: enforce","mx: *.example.org","max_age: 86400"],)"
                   R"("policy_mx":["*.example.org"])";
const char* kTlsa = R"("policy_type":"tlsa","policy_string":["3 1 1 AB12"],"policy_mx":["mx2.example.org"])";
const char* kNone = R"("policy_type":"no-policy-found","policy_string":[],"policy_mx":[])";

std::string line(const std::string& domain, const char* policy, const std::string& mx, const std::string& result,
                 const std::string& reason = "", const std::string& ip = "192.0.2.25") {
  return R"({"time":1796520000,"policy_domain":")" + domain + "\"," + policy + R"(,"mx_host":")" + mx +
         R"(","receiving_ip":")" + ip + R"(","sending_mta_ip":"198.51.100.1","result":")" + result +
         R"(","failure_reason_code":")" + reason + "\"}";
}

std::vector<std::string> sample() {
  return {
      line("example.org", kSts, "mx1.example.org", "success"),
      line("example.org", kSts, "mx1.example.org", "success"),
      line("example.org", kSts, "mx1.example.org", "certificate-expired", "certificate has expired"),
      line("example.org", kSts, "mx1.example.org", "certificate-expired", "certificate has expired"),
      line("example.org", kSts, "mx3.example.org", "starttls-not-supported", "STARTTLS not offered", "192.0.2.26"),
      line("example.org", kTlsa, "mx2.example.org", "success"),
      line("Other.ORG", kNone, "mx.other.org", "success"),
      line("other.org", kNone, "mx.other.org", "validation-failure", "handshake failure"),
  };
}

TEST(TlsReport, OneReportPerDomainOnePolicyEntryPerPolicyWithCounts) {
  int skipped = 0;
  const auto reports = buildTlsReports(sample(), kDay, kSubmitter, &skipped);
  EXPECT_EQ(skipped, 0);
  ASSERT_EQ(reports.size(), 2u);
  const TlsReport& r = reports[0];
  EXPECT_EQ(r.policyDomain, "example.org");
  EXPECT_EQ(r.begin, kDay);
  EXPECT_EQ(r.end, kDay + 86399);
  EXPECT_EQ(r.successes(), 3);
  EXPECT_EQ(r.failures(), 3);
  ASSERT_EQ(r.policies.size(), 2u);
  const TlsPolicyResult& sts = r.policies[0];
  EXPECT_EQ(sts.type, "sts");
  EXPECT_EQ(sts.strings, (std::vector<std::string>{"version: STSv1", "mode: enforce", "mx: *.example.org",
                                                   "max_age: 86400"}));
  EXPECT_EQ(sts.mx, std::vector<std::string>{"*.example.org"});
  EXPECT_EQ(sts.successes, 2);
  EXPECT_EQ(sts.failures, 3);
  // The two expired certificates of the same host are one detail of 2.
  ASSERT_EQ(sts.details.size(), 2u);
  EXPECT_EQ(sts.details[0].resultType, "certificate-expired");
  EXPECT_EQ(sts.details[0].count, 2);
  EXPECT_EQ(sts.details[0].receivingMx, "mx1.example.org");
  EXPECT_EQ(sts.details[1].resultType, "starttls-not-supported");
  EXPECT_EQ(sts.details[1].receivingIp, "192.0.2.26");
  EXPECT_EQ(sts.details[1].count, 1);
  EXPECT_EQ(r.policies[1].type, "tlsa");
  EXPECT_EQ(r.policies[1].successes, 1);
  EXPECT_EQ(r.policies[1].failures, 0);
  // Domains compare without case.
  EXPECT_EQ(reports[1].policyDomain, "other.org");
  ASSERT_EQ(reports[1].policies.size(), 1u);
  EXPECT_EQ(reports[1].policies[0].successes, 1);
  EXPECT_EQ(reports[1].policies[0].failures, 1);
}

TEST(TlsReport, JsonHasTheFieldsOfRfc8460) {
  int skipped = 0;
  const auto reports = buildTlsReports(sample(), kDay, kSubmitter, &skipped);
  ASSERT_EQ(reports.size(), 2u);
  const auto j = nlohmann::json::parse(tlsReportJson(reports[0]));
  EXPECT_EQ(j["organization-name"], "send.test");
  EXPECT_EQ(j["date-range"]["start-datetime"], "2026-12-06T00:00:00Z");
  EXPECT_EQ(j["date-range"]["end-datetime"], "2026-12-06T23:59:59Z");
  EXPECT_EQ(j["contact-info"], "reports@send.test");
  EXPECT_EQ(j["report-id"], "20261206.example.org@mx.send.test");
  ASSERT_EQ(j["policies"].size(), 2u);
  const auto& sts = j["policies"][0];
  EXPECT_EQ(sts["policy"]["policy-type"], "sts");
  EXPECT_EQ(sts["policy"]["policy-string"].size(), 4u);
  EXPECT_EQ(sts["policy"]["policy-domain"], "example.org");
  EXPECT_EQ(sts["policy"]["mx-host"], nlohmann::json::array({"*.example.org"}));
  EXPECT_EQ(sts["summary"]["total-successful-session-count"], 2);
  EXPECT_EQ(sts["summary"]["total-failure-session-count"], 3);
  ASSERT_EQ(sts["failure-details"].size(), 2u);
  const auto& d = sts["failure-details"][0];
  EXPECT_EQ(d["result-type"], "certificate-expired");
  EXPECT_EQ(d["sending-mta-ip"], "198.51.100.1");
  EXPECT_EQ(d["receiving-mx-hostname"], "mx1.example.org");
  EXPECT_EQ(d["receiving-ip"], "192.0.2.25");
  EXPECT_EQ(d["failed-session-count"], 2);
  EXPECT_EQ(d["failure-reason-code"], "certificate has expired");
  // Only failures have details.
  EXPECT_FALSE(j["policies"][1].contains("failure-details"));
  EXPECT_EQ(j["policies"][1]["policy"]["mx-host"], nlohmann::json::array({"mx2.example.org"}));
  // no-policy-found has neither policy strings nor mx hosts.
  const auto other = nlohmann::json::parse(tlsReportJson(reports[1]));
  const auto& none = other["policies"][0]["policy"];
  EXPECT_EQ(none["policy-type"], "no-policy-found");
  EXPECT_FALSE(none.contains("policy-string"));
  EXPECT_FALSE(none.contains("mx-host"));
  EXPECT_EQ(none["policy-domain"], "other.org");
  // gzip round trip, as it is attached.
  const std::string text = tlsReportJson(reports[1]);
  EXPECT_EQ(gzipDecompress(gzipCompress(text), 1 << 20).value_or(""), text);
}

TEST(TlsReport, BrokenLinesAreSkippedAndCounted) {
  std::vector<std::string> lines = {
      "not json",
      line("../etc", kSts, "mx", "success"),                      // no DNS name: it goes into a file name
      line("example.org", R"("policy_type":"dane")", "mx", "success"),  // no such policy type
      R"({"policy_domain":"example.org","policy_type":"sts"})",   // no result
      "",
      line("example.org", kNone, "mx.example.org", "success"),
  };
  int skipped = 0;
  const auto reports = buildTlsReports(lines, kDay, kSubmitter, &skipped);
  EXPECT_EQ(skipped, 4);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].successes(), 1);
}

TEST(TlsReport, FileNameIsSubmitterDomainBeginEnd) {
  int skipped = 0;
  const auto reports = buildTlsReports(sample(), kDay, kSubmitter, &skipped);
  EXPECT_EQ(tlsReportFileName(reports[0]), "send.test!example.org!1796515200!1796601599!20261206.json.gz");
}

TEST(TlsReport, RuaOfTheOneTlsRptRecord) {
  EXPECT_EQ(tlsRptRua({"v=TLSRPTv1; rua=mailto:tls@example.org"}), "mailto:tls@example.org");
  EXPECT_EQ(tlsRptRua({"v=spf1 -all", "v=TLSRPTv1;rua=mailto:a@example.org,https://r.example.org/x"}),
            "mailto:a@example.org,https://r.example.org/x");
  EXPECT_EQ(tlsRptRua({"v=TLSRPTv1; rua=mailto:a@example.org", "v=TLSRPTv1; rua=mailto:b@example.org"}), "");
  EXPECT_EQ(tlsRptRua({"v=TLSRPTv10; rua=mailto:a@example.org"}), "");
  EXPECT_EQ(tlsRptRua({"rua=mailto:a@example.org; v=TLSRPTv1"}), "");
  EXPECT_EQ(tlsRptRua({}), "");
  std::vector<std::string> others;
  const auto to = mailtoAddresses("mailto:A@Example.org, https://r.example.org/x, mailto:x@y.example>,evil@z", &others);
  ASSERT_EQ(to.size(), 1u);
  EXPECT_EQ(to[0].address, "a@example.org");
  EXPECT_EQ(others, (std::vector<std::string>{"https://r.example.org/x", "evil@z"}));
}

}  // namespace
}  // namespace posthorn::tools
