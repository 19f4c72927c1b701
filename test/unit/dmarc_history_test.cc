// dmarc_history_test - the stored DMARC evaluations (lib/mailauth/dmarc_history):
// one JSON line per evaluation with a record, in a file per UTC day,
// appended whole
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

#include "lib/mailauth/dmarc_history.h"
#include "test/unit/test_util.h"

namespace posthorn::mailauth {
namespace {

CheckResults sample() {
  CheckResults r;
  r.clientAddress = "192.0.2.7";
  r.helo = "mail.bank.example";
  r.sender = "bounce@Mail.Bank.Example";
  r.spf.result = SpfResult::Fail;
  r.spf.identity = "mailfrom";
  r.spf.domain = "mail.bank.example";
  DkimSignature first, second;
  first.result = "fail";
  first.domain = "Bank.Example";
  first.selector = "s1";
  second.result = "pass";
  second.domain = "other.example";
  second.selector = "k\"2";
  r.dkim.signatures = {first, second};
  r.dmarc.result = "fail";
  r.dmarc.fromDomain = "bank.example";
  r.dmarc.policyDomain = "bank.example";
  r.dmarc.record = "v=DMARC1; p=quarantine; rua=mailto:d@bank.example";
  r.dmarc.policy = "quarantine";
  r.dmarc.disposition = "quarantine";
  r.dmarc.pct = 50;
  return r;
}

TEST(DmarcHistory, OneLineWithEveryFieldAReportNeeds) {
  const std::string line =
      historyLine(sample(), {.queueId = "1BvWq3ZkT0004", .applied = "quarantine", .time = 1765130000});
  EXPECT_EQ(line,
            "{\"time\":1765130000,\"queue_id\":\"1BvWq3ZkT0004\",\"source_ip\":\"192.0.2.7\","
            "\"helo\":\"mail.bank.example\",\"envelope_from\":\"mail.bank.example\","
            "\"header_from\":\"bank.example\",\"policy_domain\":\"bank.example\","
            "\"record\":\"v=DMARC1; p=quarantine; rua=mailto:d@bank.example\","
            "\"policy\":\"quarantine\",\"pct\":50,\"dmarc\":\"fail\",\"disposition\":\"quarantine\","
            "\"applied\":\"quarantine\",\"spf\":{\"domain\":\"mail.bank.example\",\"scope\":\"mfrom\","
            "\"result\":\"fail\",\"aligned\":false},\"dkim\":[{\"domain\":\"bank.example\","
            "\"selector\":\"s1\",\"result\":\"fail\"},{\"domain\":\"other.example\","
            "\"selector\":\"k\\\"2\",\"result\":\"pass\"}],\"dkim_aligned\":false}");
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(DmarcHistory, ControlCharactersAreEscapedAndNoRecordIsNotKept) {
  CheckResults r = sample();
  r.helo = "a\nb\x01";
  const std::string line = historyLine(r, {.queueId = "Q", .time = 1});
  EXPECT_NE(line.find("\"helo\":\"a\\u000ab\\u0001\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"applied\":\"none\""), std::string::npos) << line;
  // UTF-8 stays; a byte that is not UTF-8 (the DNS may publish anything)
  // is escaped, so the line stays valid JSON.
  r.dmarc.record = "v=DMARC1; p=none; x=\xff\xc3\xa9\xe2\x82";
  const std::string bytes = historyLine(r, {.queueId = "Q", .time = 1});
  EXPECT_NE(bytes.find("\"record\":\"v=DMARC1; p=none; x=\\u00ff\xc3\xa9\\u00e2\\u0082\""), std::string::npos) << bytes;
  r.dmarc.policyDomain.clear();  // no DMARC record: nobody to report to
  EXPECT_EQ(historyLine(r, {.queueId = "Q", .time = 1}), "");
}

TEST(DmarcHistory, AppendsToTheFileOfTheUtcDay) {
  testing::TempDir dir;
  DmarcHistory history(dir.path());
  EXPECT_EQ(history.fileFor(1765151999), dir.path() + "/20251207");  // 23:59:59 UTC
  EXPECT_EQ(history.fileFor(1765152000), dir.path() + "/20251208");
  history.record(sample(), {.queueId = "A", .time = 1765151999});
  history.record(sample(), {.queueId = "B", .time = 1765151999});
  history.record(sample(), {.queueId = "C", .time = 1765152000});
  CheckResults none = sample();
  none.dmarc.policyDomain.clear();
  history.record(none, {.queueId = "D", .time = 1765152000});
  std::ifstream day1(dir.path() + "/20251207"), day2(dir.path() + "/20251208");
  std::stringstream a, b;
  a << day1.rdbuf();
  b << day2.rdbuf();
  const std::string first = a.str();
  EXPECT_EQ(std::count(first.begin(), first.end(), '\n'), 2);
  EXPECT_NE(first.find("\"queue_id\":\"A\""), std::string::npos);
  EXPECT_NE(first.find("\"queue_id\":\"B\""), std::string::npos);
  EXPECT_EQ(b.str(), historyLine(sample(), {.queueId = "C", .time = 1765152000}) + "\n");
  struct stat st{};
  ASSERT_EQ(::stat((dir.path() + "/20251207").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // A directory that is not there: logged, not thrown (mail goes on).
  DmarcHistory nowhere(dir.path() + "/missing");
  EXPECT_NO_THROW(nowhere.record(sample(), {.queueId = "E", .time = 1}));
}

}  // namespace
}  // namespace posthorn::mailauth
