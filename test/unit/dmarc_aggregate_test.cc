// dmarc_aggregate_test - DMARC aggregate reports from history lines
// (tools/dmarc_aggregate): grouping into rows, the policy, rua= and its
// limits, reasons, the XML's escaping and IPv6 form, and gzip round trips
#include "tools/dmarc_aggregate.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lib/mailauth/tag_list.h"
#include "tools/gzip.h"

namespace posthorn::tools {
namespace {

const ReporterInfo kReporter{"recv.test", "reports@recv.test", "mx.recv.test"};
constexpr std::time_t kDay = 1796515200;  // 2026-12-06 00:00:00 UTC

std::string line(const std::string& ip, const std::string& dmarc, const std::string& applied,
                 const std::string& disposition, bool dkimAligned, bool spfAligned,
                 const std::string& record = "v=DMARC1; p=reject; rua=mailto:d@example.org",
                 const std::string& domain = "example.org", const std::string& dkim = "") {
  return std::string("{\"time\":1796520000,\"source_ip\":\"") + ip +
         "\",\"envelope_from\":\"example.org\",\"header_from\":\"example.org\",\"policy_domain\":\"" + domain +
         "\",\"record\":\"" + record + "\",\"policy\":\"reject\",\"pct\":100,\"dmarc\":\"" + dmarc +
         "\",\"disposition\":\"" + disposition + "\",\"applied\":\"" + applied +
         "\",\"spf\":{\"domain\":\"example.org\",\"scope\":\"mfrom\",\"result\":\"" + (spfAligned ? "pass" : "fail") +
         "\",\"aligned\":" + (spfAligned ? "true" : "false") + "},\"dkim\":[" + dkim + "],\"dkim_aligned\":" +
         (dkimAligned ? "true" : "false") + "}";
}

TEST(DmarcAggregate, SameSourceAndResultsAreOneRowWithTheirCount) {
  const std::string signedBy = "{\"domain\":\"example.org\",\"selector\":\"s1\",\"result\":\"pass\"}";
  std::vector<std::string> lines = {
      line("192.0.2.7", "pass", "none", "none", true, true, "v=DMARC1; p=reject; rua=mailto:d@example.org",
           "example.org", signedBy),
      line("192.0.2.7", "pass", "none", "none", true, true, "v=DMARC1; p=reject; rua=mailto:d@example.org",
           "example.org", signedBy),
      line("192.0.2.7", "pass", "none", "none", false, true),  // unsigned: another row
      line("198.51.100.9", "fail", "reject", "reject", false, false),
  };
  int skipped = -1;
  const auto reports = buildAggregateReports(lines, kDay, kReporter, &skipped);
  EXPECT_EQ(skipped, 0);
  ASSERT_EQ(reports.size(), 1u);
  const AggregateReport& r = reports[0];
  EXPECT_EQ(r.policyDomain, "example.org");
  EXPECT_EQ(r.messages(), 4);
  ASSERT_EQ(r.rows.size(), 3u);
  long signedRows = 0, failed = 0;
  for (const auto& row : r.rows) {
    if (row.sourceIp == "192.0.2.7" && row.dkim.size() == 1) {
      EXPECT_EQ(row.count, 2);
      EXPECT_EQ(row.dkim[0].selector, "s1");
      ++signedRows;
    }
    if (row.sourceIp == "198.51.100.9") {
      EXPECT_EQ(row.disposition, "reject");
      EXPECT_EQ(row.dkimAligned, "fail");
      EXPECT_EQ(row.spfAligned, "fail");
      EXPECT_EQ(row.reason, "");
      ++failed;
    }
  }
  EXPECT_EQ(signedRows, 1);
  EXPECT_EQ(failed, 1);
  EXPECT_EQ(r.begin, kDay);
  EXPECT_EQ(r.end, kDay + 86399);
}

TEST(DmarcAggregate, OneReportPerPolicyDomainAndBadLinesAreSkipped) {
  const std::vector<std::string> lines = {
      line("192.0.2.7", "pass", "none", "none", true, true),
      line("192.0.2.8", "pass", "none", "none", true, true, "v=DMARC1; p=none; rua=mailto:r@other.test", "other.test"),
      "not json", "{\"source_ip\":\"192.0.2.1\"}", ""};
  int skipped = 0;
  const auto reports = buildAggregateReports(lines, kDay, kReporter, &skipped);
  EXPECT_EQ(skipped, 2);  // the empty line is not counted
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[0].policyDomain, "example.org");
  EXPECT_EQ(reports[1].policyDomain, "other.test");
  EXPECT_EQ(reports[1].p, "none");
}

TEST(DmarcAggregate, PolicyAndRuaComeFromTheRecord) {
  const auto reports = buildAggregateReports(
      {line("192.0.2.7", "pass", "none", "none", true, true,
            "v=DMARC1; p=quarantine; sp=reject; pct=50; adkim=s; fo=1; "
            "rua=mailto:a@example.org!10m, https://x.example/r, mailto:b@example.net!500k,mailto:nobody")},
      kDay, kReporter, nullptr);
  ASSERT_EQ(reports.size(), 1u);
  const AggregateReport& r = reports[0];
  EXPECT_EQ(r.p, "quarantine");
  EXPECT_EQ(r.sp, "reject");
  EXPECT_EQ(r.pct, 50);
  EXPECT_EQ(r.adkim, "s");
  EXPECT_EQ(r.aspf, "r");
  EXPECT_EQ(r.fo, "1");
  EXPECT_EQ(r.rua, (std::vector<std::string>{"a@example.org", "b@example.net"}));
  EXPECT_EQ(r.ruaLimits, (std::vector<long long>{10ll << 20, 500ll << 10}));
}

TEST(DmarcAggregate, OnlyPlainAddressesAreReportedTo) {
  // Whoever publishes the record writes these: nothing but a plain
  // addr-spec may reach sendmail's command line or the To: field.
  const auto reports = buildAggregateReports(
      {line("192.0.2.7", "pass", "none", "none", true, true,
            "v=DMARC1; p=none; rua=mailto:<victim@bank.example>x@evil.example, "
            "mailto:me@evil.example\\nSubject: forged, mailto:a b@evil.example, mailto:\\\"q\\\"@evil.example, "
            "mailto:a%2Bb@Evil.Example, mailto:x@-bad-.example!-5, mailto:ok@evil.example!99999999999t, "
            "mailto:%zz@evil.example, mailto:dots..x@evil.example")},
      kDay, kReporter, nullptr);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].rua, (std::vector<std::string>{"a+b@evil.example", "ok@evil.example"}));
  EXPECT_EQ(reports[0].ruaLimits, (std::vector<long long>{0, 0})) << "a nonsense size is no limit";
}

TEST(DmarcAggregate, PolicyDomainsThatAreNoDnsNamesAreSkipped) {
  int skipped = 0;
  const auto reports = buildAggregateReports(
      {line("192.0.2.7", "pass", "none", "none", true, true, "v=DMARC1; p=none", "../../etc"),
       line("192.0.2.7", "pass", "none", "none", true, true, "v=DMARC1; p=none", "a\\nb.example")},
      kDay, kReporter, &skipped);
  EXPECT_TRUE(reports.empty());
  EXPECT_EQ(skipped, 2);
}

TEST(DmarcAggregate, PctIsClamped) {
  const auto reports = buildAggregateReports(
      {line("192.0.2.7", "pass", "none", "none", true, true, "v=DMARC1; p=none; pct=250")}, kDay, kReporter, nullptr);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].pct, 100);
}

TEST(DmarcAggregate, DefaultsWhenTheRecordIsSilent) {
  const auto reports =
      buildAggregateReports({line("192.0.2.7", "pass", "none", "none", true, true, "v=DMARC1; p=reject")}, kDay,
                            kReporter, nullptr);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].sp, "reject");  // sp defaults to p
  EXPECT_EQ(reports[0].pct, 100);
  EXPECT_EQ(reports[0].fo, "0");
  EXPECT_TRUE(reports[0].rua.empty());
}

TEST(DmarcAggregate, ReasonsForADispositionOtherThanThePolicy) {
  const auto reports = buildAggregateReports(
      {line("192.0.2.1", "fail", "none", "reject", false, false),   // allowlisted or not enforced
       line("192.0.2.2", "fail", "none", "none", false, false)},    // pct left it out
      kDay, kReporter, nullptr);
  ASSERT_EQ(reports.size(), 1u);
  ASSERT_EQ(reports[0].rows.size(), 2u);
  for (const auto& row : reports[0].rows) {
    EXPECT_EQ(row.disposition, "none");
    EXPECT_EQ(row.reason, row.sourceIp == "192.0.2.1" ? "local_policy" : "sampled_out") << row.sourceIp;
  }
  const std::string xml = aggregateReportXml(reports[0]);
  EXPECT_NE(xml.find("<reason><type>local_policy</type></reason>"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<reason><type>sampled_out</type></reason>"), std::string::npos) << xml;
}

TEST(DmarcAggregate, XmlEscapesAndWritesIpv6InFull) {
  const auto reports = buildAggregateReports(
      {line("2001:db8::7", "pass", "none", "none", true, true,
            "v=DMARC1; p=reject; rua=mailto:d@example.org", "example.org",
            "{\"domain\":\"example.org\",\"selector\":\"a<b&c\",\"result\":\"pass\"}")},
      kDay, kReporter, nullptr);
  ASSERT_EQ(reports.size(), 1u);
  const std::string xml = aggregateReportXml(reports[0]);
  EXPECT_EQ(xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feedback>\n  <version>1.0</version>", 0), 0u)
      << xml;
  EXPECT_NE(xml.find("<source_ip>2001:db8:0:0:0:0:0:7</source_ip>"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<selector>a&lt;b&amp;c</selector>"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<date_range><begin>1796515200</begin><end>1796601599</end></date_range>"), std::string::npos);
  EXPECT_NE(xml.find("<org_name>recv.test</org_name>"), std::string::npos);
  EXPECT_EQ(aggregateReportFileName(reports[0]), "mx.recv.test!example.org!1796515200!1796601599.xml.gz");
}

TEST(TagList, TagsWithoutCaseOrSpaces) {
  EXPECT_EQ(mailauth::tagValue("v=DMARC1;  P = reject ; rua=mailto:x@y", "p"), "reject");
  EXPECT_EQ(mailauth::tagValue("v=DMARC1; p=none", "rua"), "");
  EXPECT_EQ(mailauth::tagValue("v=DMARC1; pct=20", "p"), "");  // pct is not p
  EXPECT_EQ(mailauth::tagValue("v=DKIM1; k=rsa; p= MIIB\r\n\tIjAN ", "p"), "MIIB\r\n\tIjAN");  // inside stays
  EXPECT_EQ(mailauth::tagValue("v=STSv1; id=20261207;", "id"), "20261207");
}

TEST(Gzip, RoundTripAndRefusals) {
  std::string data;
  for (int i = 0; i < 5000; ++i) data += "<record>" + std::to_string(i) + "</record>\n";
  const std::string gz = gzipCompress(data);
  EXPECT_TRUE(looksGzipped(gz));
  EXPECT_LT(gz.size(), data.size() / 5);
  EXPECT_EQ(gzipDecompress(gz, data.size()), data);
  EXPECT_FALSE(gzipDecompress(gz, data.size() - 1)) << "over the limit";
  EXPECT_FALSE(gzipDecompress(gz.substr(0, gz.size() / 2), data.size())) << "truncated";
  EXPECT_FALSE(gzipDecompress("plain text", 100));
  EXPECT_FALSE(looksGzipped("<feedback>"));
}

}  // namespace
}  // namespace posthorn::tools
