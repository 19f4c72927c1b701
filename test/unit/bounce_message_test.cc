// bounce_message_test - the DSN writer (bounce/bounce_message.h) and the
// notified-recipients log (qmgr/dsn_log.h)
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <string>

#include "bounce/bounce_message.h"
#include "bounce/bounce_service.h"
#include "lib/config/config.h"
#include "qmgr/dsn_log.h"

using namespace posthorn;

namespace {

queue::Envelope sampleEnvelope() {
  queue::Envelope env;
  env.sender = "jane@example.org";
  env.arrival = queue::Time(std::chrono::seconds(1790000000));
  env.envid = "ENV-42";
  queue::Recipient a;
  a.address = "bob@example.com";
  a.orcpt = "rfc822;Bob@Example.com";
  a.status.state = queue::RecipientState::Failed;
  a.report.dsnStatus = "5.1.1";
  a.report.diagnostic = "smtp; 550 5.1.1 <bob@example.com>: no such user";
  a.report.remoteMta = "dns; mx.example.com";
  a.report.time = queue::Time(std::chrono::seconds(1790000100));
  queue::Recipient b;
  b.address = "carol@example.com";
  b.status.state = queue::RecipientState::Failed;
  b.report.dsnStatus = "5.3.0";
  b.report.diagnostic = "command failed\r\nwith a newline";
  env.recipients = {a, b};
  return env;
}

std::string render(const bounce::DsnRequest& request, const queue::Envelope& env,
                   const std::string& content) {
  bounce::DsnSettings settings = bounce::BounceSettings(config::Config::defaults()).dsn;
  settings.hostname = "mail.example.net";
  std::size_t pos = 0;
  std::string out;
  bounce::writeDsn(
      settings, request, env,
      [&](char* b, std::size_t n) {
        const std::size_t k = std::min(n, content.size() - pos);
        std::memcpy(b, content.data() + pos, k);
        pos += k;
        return k;
      },
      [&](std::string_view t) { out += t; });
  return out;
}

const std::string kOriginal = "Subject: hello\nFrom: jane@example.org\n\nthe body\nline two\n";

}  // namespace

TEST(BounceMessage, FailureWithHeadersOnly) {
  bounce::DsnRequest r;
  r.kind = ipc::DsnKind::Failure;
  r.queueId = "1BvWq3ZkT0004";
  r.recipients = {0, 1};
  r.to = "jane@example.org";
  const std::string text = render(r, sampleEnvelope(), kOriginal);
  EXPECT_NE(text.find("Content-Type: multipart/report; report-type=delivery-status;"), std::string::npos);
  EXPECT_NE(text.find("Reporting-MTA: dns; mail.example.net\n"), std::string::npos);
  EXPECT_NE(text.find("Original-Envelope-Id: ENV-42\n"), std::string::npos);
  EXPECT_NE(text.find("Final-Recipient: rfc822; bob@example.com\n"), std::string::npos);
  EXPECT_NE(text.find("Original-Recipient: rfc822; Bob@Example.com\n"), std::string::npos);
  EXPECT_NE(text.find("Action: failed\nStatus: 5.1.1\n"), std::string::npos);
  EXPECT_NE(text.find("Remote-MTA: dns; mx.example.com\n"), std::string::npos);
  EXPECT_NE(text.find("Diagnostic-Code: smtp; 550 5.1.1 <bob@example.com>: no such user\n"),
            std::string::npos);
  EXPECT_NE(text.find("Diagnostic-Code: X-Posthorn; command failed  with a newline\n"),
            std::string::npos);
  EXPECT_NE(text.find("Content-Type: text/rfc822-headers\n\nSubject: hello\nFrom: jane@example.org\n\n--"),
            std::string::npos);
  EXPECT_EQ(text.find("the body"), std::string::npos) << "headers only";
  EXPECT_NE(text.find("Last-Attempt-Date: "), std::string::npos);
  // No bare CR anywhere: the network's control characters are gone.
  EXPECT_EQ(text.find('\r'), std::string::npos);
}

TEST(BounceMessage, FullMessageAndDelay) {
  bounce::DsnRequest r;
  r.kind = ipc::DsnKind::Failure;
  r.queueId = "1BvWq3ZkT0004";
  r.recipients = {0};
  r.to = "jane@example.org";
  r.returnFull = true;
  std::string text = render(r, sampleEnvelope(), kOriginal);
  EXPECT_NE(text.find("Content-Type: message/rfc822\n\n" + kOriginal + "\n--"), std::string::npos);

  r.kind = ipc::DsnKind::Delay;
  r.returnFull = false;
  auto env = sampleEnvelope();
  env.recipients[0].status.state = queue::RecipientState::Todo;
  env.recipients[0].report.dsnStatus = "4.4.1";
  text = render(r, env, kOriginal);
  EXPECT_NE(text.find("Action: delayed\nStatus: 4.4.1\n"), std::string::npos);
  EXPECT_NE(text.find("Will-Retry-Until: "), std::string::npos);
  EXPECT_NE(text.find("Subject: Delayed Mail"), std::string::npos);
}

TEST(BounceMessage, SuccessActionsFollowState) {
  auto env = sampleEnvelope();
  env.recipients[0].status.state = queue::RecipientState::Delivered;
  env.recipients[0].report = {};
  env.recipients[1].status.state = queue::RecipientState::Relayed;
  env.recipients[1].report = {};
  bounce::DsnRequest r;
  r.kind = ipc::DsnKind::Success;
  r.queueId = "1BvWq3ZkT0004";
  r.recipients = {0, 1, 7};  // 7 does not exist: skipped
  r.to = "jane@example.org";
  const std::string text = render(r, env, kOriginal);
  EXPECT_NE(text.find("Action: delivered\nStatus: 2.0.0\n"), std::string::npos);
  EXPECT_NE(text.find("Action: relayed\nStatus: 2.0.0\n"), std::string::npos);
}

TEST(BounceMessage, HeadersEndAcrossChunksAndMissingBlankLine) {
  // A message that is only headers, without a final newline.
  bounce::DsnRequest r;
  r.queueId = "1BvWq3ZkT0004";
  r.recipients = {0};
  r.to = "jane@example.org";
  const std::string text = render(r, sampleEnvelope(), "Subject: x");
  EXPECT_NE(text.find("rfc822-headers\n\nSubject: x\n\n--"), std::string::npos);
}

TEST(BounceMessage, Helpers) {
  EXPECT_EQ(bounce::diagnosticCode("x-unix; boom"), "x-unix; boom");
  EXPECT_EQ(bounce::diagnosticCode("mailbox full"), "X-Posthorn; mailbox full");
  EXPECT_EQ(bounce::diagnosticCode("550 5.1.1 a;b"), "X-Posthorn; 550 5.1.1 a;b");
  EXPECT_EQ(bounce::typedAddress("rfc822;a@b"), "rfc822; a@b");
  const std::string folded = bounce::foldField(std::string(30, 'a') + " " + std::string(60, 'b'), 17);
  EXPECT_EQ(folded, std::string(30, 'a') + "\n " + std::string(60, 'b'));
}

TEST(DsnLog, AppendReadAndTornTail) {
  char dir[] = "/tmp/dsnlogXXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/1BvWq3ZkT0004";
  qmgr::DsnLog log(path);
  EXPECT_TRUE(log.read().empty());
  log.append({0, 3});
  {
    std::ofstream torn(path, std::ios::app);
    torn << "i12";  // a crash in the middle of an append
  }
  log.append({5});
  EXPECT_EQ(log.read(), (std::set<std::uint32_t>{0, 3, 5}));
  log.remove();
  EXPECT_TRUE(log.read().empty());
  ::rmdir(dir);
}
