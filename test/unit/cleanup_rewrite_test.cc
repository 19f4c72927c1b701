// cleanup_rewrite_test - cleanup's address rewriting in whole sessions: the
// queue file holds the expanded recipients with their original address,
// ORCPT and NOTIFY, the rewritten sender, and a table that cannot be read
// makes cleanup answer 451 4.3.0 and queue nothing
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cleanup/cleanup_rewrite.h"
#include "cleanup/cleanup_session.h"
#include "cleanup/cleanup_settings.h"
#include "lib/ipc/ipc_listen.h"
#include "lib/proto/cleanup_client.h"
#include "lib/queue/queue_file_reader.h"
#include "test/unit/cleanup_test_server.h"
#include "test/unit/fake_table_lookup.h"
#include "test/unit/test_util.h"

namespace posthorn::cleanup {
namespace {

namespace q = posthorn::queue;
constexpr const char* kVirtual = "hash:/etc/mail/virtual";
constexpr const char* kCanonical = "hash:/etc/mail/canonical";

class CleanupRewriteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::mkdir((dir_ / "incoming").c_str(), 0700);
    ::mkdir((dir_ / "public").c_str(), 0710);
    settings_.incomingDir = dir_ / "incoming";
    settings_.myhostname = "mx.example";
    settings_.myorigin = "example.org";
    socket_ = dir_ / "public/cleanup";
    tables_->set(kVirtual, "list@alias.example", "ann@example.org, bob@example.org, cy@example.org");
    tables_->set(kVirtual, "fwd@alias.example", "someone@remote.example");
    tables_->set(kVirtual, "@catch.example", "catcher@example.org");
    tables_->set(kCanonical, "joe@host.example.org", "joe.smith@example.org");
  }
  void TearDown() override { server_.stop(); }

  void start() {
    const config::Config cfg = config::Config::parse(
        std::string("myhostname = mx.example\nmyorigin = example.org\n"
                    "mydestination = example.org\nrecipient_delimiter = +\n"
                    "virtual_alias_maps = ") + kVirtual + "\ncanonical_maps = " + kCanonical + "\n",
        "posthorn.conf");
    settings_.rewriting = std::make_shared<Rewriting>(cfg, std::move(tables_));
    server_.start(socket_, settings_);
  }

  ipc::CleanupReply send(const ipc::CleanupEnvelope& env) {
    CleanupClient client(socket_);
    client.begin(env, 0);
    client.write("Subject: x\n\nbody\n");
    return client.finish();
  }

  testing::TempDir dir_;
  SessionSettings settings_ = Settings(config::Config::defaults()).session;
  std::unique_ptr<testing::FakeTableLookup> tables_ = std::make_unique<testing::FakeTableLookup>();
  std::string socket_;
  testing::CleanupTestServer server_;  // after settings_: it serves with them
};

TEST_F(CleanupRewriteTest, ExpandsAndKeepsTheOriginalRecipient) {
  start();
  ipc::CleanupEnvelope e;
  e.sender = "joe@host.example.org";
  e.recipients.push_back({"list@alias.example", "rfc822;list@alias.example", q::notify::kFailure, ""});
  e.recipients.push_back({"fwd+tag@alias.example", "", 0, ""});
  e.recipients.push_back({"whoever@catch.example", "", 0, ""});
  e.recipients.push_back({"Whoever@catch.example", "", 0, ""});  // the same once rewritten
  const ipc::CleanupReply reply = send(e);
  ASSERT_EQ(reply.code, 250u) << reply.line();
  q::QueueFileReader reader(dir_ / ("incoming/" + reply.queueId));
  const q::Envelope& got = reader.envelope();
  EXPECT_EQ(got.sender, "joe.smith@example.org");
  std::vector<std::string> addresses, originals;
  for (const auto& r : got.recipients) {
    addresses.push_back(r.address);
    originals.push_back(r.originalAddress);
  }
  EXPECT_EQ(addresses, (std::vector<std::string>{"ann@example.org", "bob@example.org",
                                                 "cy@example.org", "someone+tag@remote.example",
                                                 "catcher@example.org"}));
  EXPECT_EQ(originals, (std::vector<std::string>{"list@alias.example", "list@alias.example",
                                                 "list@alias.example", "fwd+tag@alias.example",
                                                 "whoever@catch.example"}));
  ASSERT_EQ(got.recipients.size(), 5u);
  EXPECT_EQ(got.recipients[1].orcpt, "rfc822;list@alias.example");
  EXPECT_EQ(got.recipients[1].notify, q::notify::kFailure);
}

TEST_F(CleanupRewriteTest, UnreadableTableIs451AndNothingQueued) {
  tables_->breakTable(kVirtual);
  start();
  ipc::CleanupEnvelope e;
  e.sender = "a@example.org";
  e.recipients.push_back({"list@alias.example", "", 0, ""});
  const ipc::CleanupReply reply = send(e);
  EXPECT_EQ(reply.code, 451u) << reply.line();
  EXPECT_EQ(reply.status, "4.3.0");
  EXPECT_TRUE(testing::listDir(dir_ / "incoming").empty());
}

TEST_F(CleanupRewriteTest, HeaderAddressesRewritten) {
  start();
  ipc::CleanupEnvelope e;
  e.sender = "joe@host.example.org";
  e.recipients.push_back({"ann@example.org", "", 0, ""});
  CleanupClient client(socket_);
  client.begin(e, 0);
  client.write("From: Joe <joe@host.example.org>\nTo: \"joe@host.example.org\" <ann@example.org>,\n"
               " joe@host.example.org (Joe)\nBcc: joe@host.example.org\n"
               "Subject: joe@host.example.org\n\nbody joe@host.example.org\n");
  const ipc::CleanupReply reply = client.finish();
  ASSERT_EQ(reply.code, 250u) << reply.line();
  const std::string content = q::QueueFileReader(dir_ / ("incoming/" + reply.queueId)).readContent();
  EXPECT_NE(content.find("From: Joe <joe.smith@example.org>\n"), std::string::npos) << content;
  // The quoted phrase and the comment stay; the addresses change.
  EXPECT_NE(content.find("To: \"joe@host.example.org\" <ann@example.org>,\n"
                         " joe.smith@example.org (Joe)\n"), std::string::npos) << content;
  EXPECT_EQ(content.find("Bcc:"), std::string::npos) << content;
  // Neither other fields nor the body.
  EXPECT_NE(content.find("Subject: joe@host.example.org\n"), std::string::npos) << content;
  EXPECT_NE(content.find("\n\nbody joe@host.example.org\n"), std::string::npos) << content;
}

TEST(RewriteField, SimpleFormsAndMasquerading) {
  const config::Config cfg = config::Config::parse(
      "myhostname = mx.example\nmyorigin = example.org\nmydestination = example.org\n"
      "masquerade_domains = example.org\nmasquerade_exceptions = root\n",
      "posthorn.conf");
  Rewriting rw(cfg, std::make_unique<testing::FakeTableLookup>());
  EXPECT_TRUE(rw.rewritesHeaders());
  EXPECT_EQ(rw.rewriteField("from", "From: a@host.example.org\n").value_or("?"), "From: a@example.org\n");
  EXPECT_EQ(rw.rewriteField("cc", "Cc: team: a@x.example.org, b@y.example.org;, root@z.example.org\n")
                .value_or("?"),
            "Cc: team: a@example.org, b@example.org;, root@z.example.org\n");
  EXPECT_EQ(rw.rewriteField("to", "To: Ann <ann@example.org>\n"), std::nullopt);  // unchanged
  EXPECT_EQ(rw.rewriteField("to", "To: undisclosed-recipients:;\n"), std::nullopt);
  EXPECT_EQ(rw.rewriteField("reply-to", "Reply-To: \"x@a.example.org\" <y@b.example.org>\n").value_or("?"),
            "Reply-To: \"x@a.example.org\" <y@example.org>\n");
}

TEST(RewriteField, TableFailureThrows) {
  const config::Config cfg = config::Config::parse(
      std::string("myhostname = mx.example\nmyorigin = example.org\ncanonical_maps = ") + kCanonical + "\n",
      "posthorn.conf");
  auto tables = std::make_unique<testing::FakeTableLookup>();
  tables->breakTable(kCanonical);
  Rewriting rw(cfg, std::move(tables));
  EXPECT_THROW(rw.rewriteField("from", "From: a@b.example\n"), address::TableLookupError);
}

}  // namespace
}  // namespace posthorn::cleanup
