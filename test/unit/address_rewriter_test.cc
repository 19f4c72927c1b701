// address_rewriter_test - virtual alias expansion (forwarders, lists,
// catch-alls, recursion and its limits), the lookup order with
// recipient_delimiter, canonical mapping and masquerading, over an
// in-memory table.
#include "lib/address/address_rewriter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lib/config/config.h"
#include "test/unit/fake_table_lookup.h"

namespace posthorn::address {
namespace {

using V = std::vector<std::string>;
namespace rc = rewrite_class;

constexpr const char* kVirtual = "hash:/etc/mail/virtual";
constexpr const char* kCanonical = "hash:/etc/mail/canonical";
constexpr const char* kSenderCanonical = "hash:/etc/mail/sender_canonical";
constexpr const char* kRecipientCanonical = "hash:/etc/mail/recipient_canonical";

class RewriterTest : public ::testing::Test {
 protected:
  AddressRewriter make(const std::string& extra = "") {
    cfg_ = config::Config::parse(
        std::string("myhostname = mail.example.com\nmydomain = example.com\n"
                    "myorigin = example.com\n"
                    "mydestination = $myhostname, localhost, local.example\n"
                    "recipient_delimiter = +\n"
                    "virtual_alias_maps = ") + kVirtual + "\n" +
            "canonical_maps = " + kCanonical + "\n" +
            "sender_canonical_maps = " + kSenderCanonical + "\n" +
            "recipient_canonical_maps = " + kRecipientCanonical + "\n" + extra,
        "posthorn.conf");
    return AddressRewriter(cfg_, tables_);
  }
  void alias(const std::string& key, const std::string& value) { tables_.set(kVirtual, key, value); }

  config::Config cfg_ = config::Config::defaults();
  testing::FakeTableLookup tables_;
};

TEST_F(RewriterTest, ForwarderListAndUnknown) {
  alias("info@alias.example", "joe@remote.example");
  alias("team@alias.example", "a@local.example, b@local.example c@local.example");
  AddressRewriter rw = make();
  EXPECT_EQ(rw.expandVirtual("info@alias.example"), V{"joe@remote.example"});
  EXPECT_EQ(rw.expandVirtual("Team@Alias.Example"),
            (V{"a@local.example", "b@local.example", "c@local.example"}));
  // No entry: the address stands for itself.
  EXPECT_EQ(rw.expandVirtual("nobody@alias.example"), V{"nobody@alias.example"});
  EXPECT_TRUE(rw.hasVirtualEntry("info@alias.example"));
  EXPECT_FALSE(rw.hasVirtualEntry("nobody@alias.example"));
}

TEST_F(RewriterTest, CatchAllAfterSpecificEntries) {
  alias("@catch.example", "catcher@local.example");
  alias("sales@catch.example", "bob@local.example");
  alias("@otherdomain.example", "@local.example");  // same user, other domain
  AddressRewriter rw = make();
  EXPECT_EQ(rw.expandVirtual("sales@catch.example"), V{"bob@local.example"});
  EXPECT_EQ(rw.expandVirtual("anything@catch.example"), V{"catcher@local.example"});
  EXPECT_TRUE(rw.hasVirtualEntry("anything@catch.example"));
  EXPECT_EQ(rw.expandVirtual("kim@otherdomain.example"), V{"kim@local.example"});
}

TEST_F(RewriterTest, RecursiveAndSelfReference) {
  alias("a@alias.example", "b@alias.example");
  alias("b@alias.example", "c@remote.example, d@alias.example");
  alias("d@alias.example", "d@alias.example, archive@remote.example");  // keeps a copy
  AddressRewriter rw = make();
  EXPECT_EQ(rw.expandVirtual("a@alias.example"),
            (V{"c@remote.example", "d@alias.example", "archive@remote.example"}));
}

TEST_F(RewriterTest, LoopHitsTheRecursionLimit) {
  alias("ping@alias.example", "pong@alias.example");
  alias("pong@alias.example", "ping@alias.example");
  AddressRewriter rw = make("virtual_alias_recursion_limit = 20\n");
  EXPECT_THROW(rw.expandVirtual("ping@alias.example"), RewriteLimitError);
}

TEST_F(RewriterTest, ExpansionLimit) {
  alias("big@alias.example", "u1@x.example u2@x.example u3@x.example u4@x.example");
  alias("nested@alias.example", "big@alias.example, big@alias.example");
  AddressRewriter rw = make("virtual_alias_expansion_limit = 4\n");
  EXPECT_EQ(rw.expandVirtual("big@alias.example").size(), 4u);
  EXPECT_THROW(rw.expandVirtual("nested@alias.example"), RewriteLimitError);
}

TEST_F(RewriterTest, ExtensionLookupOrderAndPropagation) {
  alias("joe+special@alias.example", "special@remote.example");
  alias("joe@alias.example", "joe@remote.example");
  alias("@ext.example", "all@remote.example");
  AddressRewriter rw = make();
  // The full address first.
  EXPECT_EQ(rw.expandVirtual("joe+special@alias.example"), V{"special@remote.example"});
  // Then without the extension, which is carried over to the result.
  EXPECT_EQ(rw.expandVirtual("joe+news@alias.example"), V{"joe+news@remote.example"});
  EXPECT_EQ(rw.expandVirtual("x+y@ext.example"), V{"all+y@remote.example"});
  AddressRewriter plain = make("propagate_unmatched_extensions = canonical\n");
  EXPECT_EQ(plain.expandVirtual("joe+news@alias.example"), V{"joe@remote.example"});
}

TEST_F(RewriterTest, BareUserKeyOnlyForLocalDomains) {
  alias("postmaster", "admin@remote.example");
  alias("sam", "sam@remote.example");
  AddressRewriter rw = make();
  EXPECT_EQ(rw.expandVirtual("postmaster@local.example"), V{"admin@remote.example"});
  EXPECT_EQ(rw.expandVirtual("sam+x@example.com"), V{"sam+x@remote.example"});  // $myorigin
  EXPECT_EQ(rw.expandVirtual("postmaster@remote.example"), V{"postmaster@remote.example"});
}

TEST_F(RewriterTest, UnqualifiedResultsGetMyorigin) {
  alias("help@alias.example", "helpdesk");
  EXPECT_EQ(make().expandVirtual("help@alias.example"), V{"helpdesk@example.com"});
}

TEST_F(RewriterTest, TableFailureIsNotAMiss) {
  tables_.breakTable(kVirtual);
  AddressRewriter rw = make();
  EXPECT_THROW(rw.expandVirtual("info@alias.example"), TableLookupError);
  EXPECT_THROW(rw.hasVirtualEntry("info@alias.example"), TableLookupError);
}

TEST_F(RewriterTest, CanonicalSenderAndRecipient) {
  tables_.set(kSenderCanonical, "joe@mail.example.com", "joe.smith@example.com");
  tables_.set(kCanonical, "@old.example", "@example.com");
  tables_.set(kCanonical, "joe.smith@example.com", "Joe.Smith@example.com");
  tables_.set(kRecipientCanonical, "billing@example.com", "accounts@example.com");
  AddressRewriter rw = make();
  // sender_canonical_maps, then canonical_maps.
  EXPECT_EQ(rw.rewriteSender("joe@mail.example.com", rc::kEnvelopeSender), "Joe.Smith@example.com");
  EXPECT_EQ(rw.rewriteSender("kim@old.example", rc::kHeaderSender), "kim@example.com");
  // recipient_canonical_maps apply to recipients only.
  EXPECT_EQ(rw.rewriteRecipient("billing@example.com", rc::kEnvelopeRecipient),
            "accounts@example.com");
  EXPECT_EQ(rw.rewriteSender("billing@example.com", rc::kEnvelopeSender), "billing@example.com");
  EXPECT_EQ(rw.rewriteSender("", rc::kEnvelopeSender), "");
  // canonical_classes leaves out what it does not name.
  AddressRewriter envOnly = make("canonical_classes = envelope_sender\n");
  EXPECT_EQ(envOnly.rewriteSender("kim@old.example", rc::kHeaderSender), "kim@old.example");
  EXPECT_EQ(envOnly.rewriteRecipient("kim@old.example", rc::kEnvelopeRecipient), "kim@old.example");
}

TEST_F(RewriterTest, CanonicalWithExtension) {
  tables_.set(kCanonical, "joe@example.com", "joe.smith@example.com");
  EXPECT_EQ(make().rewriteRecipient("joe+list@example.com", rc::kEnvelopeRecipient),
            "joe.smith+list@example.com");
  EXPECT_EQ(make("propagate_unmatched_extensions = virtual\n")
                .rewriteRecipient("joe+list@example.com", rc::kEnvelopeRecipient),
            "joe.smith@example.com");
}

TEST_F(RewriterTest, Masquerading) {
  const std::vector<std::string> domains{"!secret.example.com", "example.com"};
  const std::vector<std::string> none;
  EXPECT_EQ(masqueradeAddress("joe@host.example.com", domains, none), "joe@example.com");
  EXPECT_EQ(masqueradeAddress("joe@a.b.example.com", domains, none), "joe@example.com");
  EXPECT_EQ(masqueradeAddress("joe@example.com", domains, none), "joe@example.com");
  EXPECT_EQ(masqueradeAddress("joe@secret.example.com", domains, none), "joe@secret.example.com");
  EXPECT_EQ(masqueradeAddress("joe@notexample.com", domains, none), "joe@notexample.com");
  EXPECT_EQ(masqueradeAddress("root@host.example.com", domains, {"root"}), "root@host.example.com");

  AddressRewriter rw = make("masquerade_domains = example.com\nmasquerade_exceptions = Root\n");
  EXPECT_EQ(rw.rewriteSender("joe@host.example.com", rc::kEnvelopeSender), "joe@example.com");
  EXPECT_EQ(rw.rewriteSender("root@host.example.com", rc::kEnvelopeSender), "root@host.example.com");
  // Envelope recipients are not in the default masquerade_classes.
  EXPECT_EQ(rw.rewriteRecipient("joe@host.example.com", rc::kEnvelopeRecipient),
            "joe@host.example.com");
  EXPECT_EQ(rw.rewriteRecipient("joe@host.example.com", rc::kHeaderRecipient), "joe@example.com");
}

TEST_F(RewriterTest, SplitTableValue) {
  EXPECT_EQ(splitTableValue(" a@x, <b@y>\tc@z ,,"), (V{"a@x", "b@y", "c@z"}));
  EXPECT_EQ(splitTableValue("\"john doe\"@x, d@y"), (V{"john doe@x", "d@y"}));
}

TEST_F(RewriterTest, BadParameters) {
  EXPECT_THROW(make("canonical_classes = envelope_sender, body\n"), config::ConfigError);
  EXPECT_THROW(make("virtual_alias_recursion_limit = 0\n"), config::ConfigError);
  EXPECT_THROW(make("propagate_unmatched_extensions = everything\n"), config::ConfigError);
}

}  // namespace
}  // namespace posthorn::address
