// greylist_test - greylist(8)'s triplet store, its decisions and its
// policy protocol parsing
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "greylist/greylist_policy.h"
#include "greylist/greylist_server.h"
#include "greylist/greylist_store.h"

namespace posthorn::greylist {
namespace {

const Seconds t0 = 1'800'000'000;
const Seconds kDay = 86400;

Attributes request(const std::string& client, const std::string& sender, const std::string& rcpt) {
  return {{"request", "smtpd_access_policy"}, {"protocol_state", "RCPT"},
          {"client_address", client}, {"sender", sender}, {"recipient", rcpt}};
}

GreylistSettings settings() {
  GreylistSettings s;
  s.delay = 300;
  s.maxAge = 35 * kDay;
  s.retryWindow = 2 * kDay;
  s.autoAllowlistClients = 5;
  return s;
}

const std::string kDelayed = "PREPEND X-Greylist: delayed ";

class GreylistTest : public ::testing::Test {
 protected:
  GreylistStore store{"", 35 * kDay, t0};
  Greylist grey{settings(), store};
  std::string decide(Seconds at, const std::string& client = "192.0.2.7",
                     const std::string& sender = "a@example.net", const std::string& rcpt = "u@example.org") {
    return grey.decide(request(client, sender, rcpt), at);
  }
};

TEST_F(GreylistTest, FirstAttemptIsDeferredForTheWholeDelay) {
  EXPECT_EQ(decide(t0), "defer_if_permit Greylisted, retry in 300 seconds");
}

TEST_F(GreylistTest, RetryBeforeTheDelayIsDeferredForWhatRemains) {
  decide(t0);
  EXPECT_EQ(decide(t0 + 100), "defer_if_permit Greylisted, retry in 200 seconds");
  EXPECT_EQ(decide(t0 + 299), "defer_if_permit Greylisted, retry in 1 seconds");
}

TEST_F(GreylistTest, RetryAfterTheDelayPassesWithTheHeaderOnceThenDunno) {
  decide(t0);
  EXPECT_EQ(decide(t0 + 400), kDelayed + "400 seconds by posthorn-greylist");
  EXPECT_EQ(decide(t0 + 500), "DUNNO");
  EXPECT_EQ(decide(t0 + 20 * kDay), "DUNNO");
}

TEST_F(GreylistTest, TheTripletIsNetworkSenderRecipient) {
  decide(t0);
  // Same /24, same sender and recipient: the same triplet.
  EXPECT_EQ(decide(t0 + 400, "192.0.2.200"), kDelayed + "400 seconds by posthorn-greylist");
  EXPECT_TRUE(decide(t0 + 400, "192.0.3.7").starts_with("defer_if_permit"));
  EXPECT_TRUE(decide(t0 + 400, "192.0.2.7", "b@example.net").starts_with("defer_if_permit"));
  EXPECT_TRUE(decide(t0 + 400, "192.0.2.7", "a@example.net", "v@example.org").starts_with("defer_if_permit"));
  // Case does not matter.
  EXPECT_EQ(decide(t0 + 401, "192.0.2.7", "A@Example.NET", "U@example.org"), "DUNNO");
}

TEST_F(GreylistTest, IPv6ClientsAreGroupedBySlash64) {
  EXPECT_EQ(clientNetwork("2001:db8:1:2::5"), "2001:db8:1:2::/64");
  EXPECT_EQ(clientNetwork("192.0.2.9"), "192.0.2.0/24");
  EXPECT_EQ(clientNetwork("::ffff:192.0.2.9"), "192.0.2.0/24");
  EXPECT_EQ(clientNetwork("not an address"), "");
  decide(t0, "2001:db8:1:2::5");
  EXPECT_TRUE(decide(t0 + 400, "2001:db8:1:2:ffff::1").starts_with(kDelayed));
}

TEST_F(GreylistTest, ARetryAfterTheRetryWindowStartsOver) {
  decide(t0);
  EXPECT_EQ(decide(t0 + 2 * kDay + 1), "defer_if_permit Greylisted, retry in 300 seconds");
  EXPECT_TRUE(decide(t0 + 2 * kDay + 301).starts_with(kDelayed + "300 seconds"));
}

TEST_F(GreylistTest, ClientsAreAllowlistedAfterEnoughPasses) {
  for (int i = 0; i < 5; ++i) {
    const std::string sender = "s" + std::to_string(i) + "@example.net";
    ASSERT_TRUE(decide(t0, "192.0.2.7", sender).starts_with("defer"));
    ASSERT_TRUE(decide(t0 + 300, "192.0.2.7", sender).starts_with(kDelayed)) << i;
    if (i < 4) {
      EXPECT_TRUE(decide(t0 + 300, "192.0.2.7", "new@example.net").starts_with("defer")) << i;
    }
  }
  EXPECT_EQ(decide(t0 + 301, "192.0.2.8", "never-seen@example.net"), "DUNNO");
  EXPECT_TRUE(decide(t0 + 301, "192.0.3.8", "never-seen@example.net").starts_with("defer"));
}

TEST(GreylistAutoAllowlist, ZeroTurnsItOff) {
  GreylistStore store("", 35 * kDay, t0);
  GreylistSettings s = settings();
  s.autoAllowlistClients = 0;
  Greylist grey(s, store);
  for (int i = 0; i < 10; ++i) {
    const std::string sender = "s" + std::to_string(i) + "@example.net";
    grey.decide(request("192.0.2.7", sender, "u@example.org"), t0);
    grey.decide(request("192.0.2.7", sender, "u@example.org"), t0 + 300);
  }
  EXPECT_TRUE(grey.decide(request("192.0.2.7", "x@example.net", "u@example.org"), t0 + 300).starts_with("defer"));
}

TEST(GreylistAllowlist, ClientsNetworksAndSenderDomainsAreNotGreylisted) {
  GreylistStore store("", 35 * kDay, t0);
  GreylistSettings s = settings();
  s.setAllowlist({"198.51.100.0/24", "[2001:db8::]/32", "192.0.2.9", "lists.example.com", ".example.edu"});
  Greylist grey(s, store);
  auto from = [&](const std::string& client, const std::string& sender) {
    return grey.decide(request(client, sender, "u@example.org"), t0);
  };
  EXPECT_EQ(from("198.51.100.77", "a@example.net"), "DUNNO");
  EXPECT_EQ(from("2001:db8:5::1", "a@example.net"), "DUNNO");
  EXPECT_EQ(from("192.0.2.9", "a@example.net"), "DUNNO");
  EXPECT_TRUE(from("192.0.2.10", "a@example.net").starts_with("defer"));
  EXPECT_EQ(from("203.0.113.1", "owner@LISTS.example.com"), "DUNNO");
  EXPECT_EQ(from("203.0.113.1", "x@cs.example.edu"), "DUNNO");
  EXPECT_EQ(from("203.0.113.1", "x@example.edu"), "DUNNO");
  EXPECT_TRUE(from("203.0.113.1", "x@sub.lists.example.com").starts_with("defer"));
  EXPECT_TRUE(from("203.0.113.1", "").starts_with("defer"));
  EXPECT_THROW(s.setAllowlist({"10.0.0.0/33"}), address::CidrError);
}

TEST_F(GreylistTest, EntriesNotSeenForMaxAgeAreForgotten) {
  decide(t0);
  decide(t0 + 300);  // passed
  EXPECT_EQ(decide(t0 + 35 * kDay), "DUNNO");  // seen again: its age starts over
  EXPECT_EQ(decide(t0 + 70 * kDay + 1), "defer_if_permit Greylisted, retry in 300 seconds");
}

class GreylistFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/greylist_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/greylist_state";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::size_t lines() {
    std::ifstream in(path_);
    std::size_t n = 0;
    for (std::string line; std::getline(in, line);) ++n;
    return n;
  }
  std::string dir_, path_;
};

TEST_F(GreylistFileTest, ReloadingGivesTheSameState) {
  {
    GreylistStore store(path_, 35 * kDay, t0);
    Greylist grey(settings(), store);
    grey.decide(request("192.0.2.7", "a@example.net", "u@example.org"), t0);
    grey.decide(request("192.0.2.7", "a@example.net", "u@example.org"), t0 + 300);
    grey.decide(request("192.0.2.7", "b@example.net", "u@example.org"), t0 + 10);
    grey.decide(request("2001:db8::1", "", "u@example.org"), t0 + 20);
  }
  GreylistStore store(path_, 35 * kDay, t0 + 400);
  EXPECT_EQ(store.triplets().size(), 3u);
  EXPECT_EQ(store.clients().size(), 1u);
  EXPECT_EQ(lines(), 4u);  // compacted on opening: one line per entry
  EXPECT_EQ(store.triplet({"192.0.2.0/24", "a@example.net", "u@example.org"}, t0 + 400),
            (TripletState{t0, t0 + 300, true}));
  EXPECT_EQ(store.triplet({"2001:db8:0:0::/64", "", "u@example.org"}, t0 + 400),
            (TripletState{t0 + 20, t0 + 20, false}));
  EXPECT_EQ(store.client("192.0.2.0/24", t0 + 400), (ClientState{t0 + 300, 1}));
  Greylist grey(settings(), store);
  EXPECT_EQ(grey.decide(request("192.0.2.7", "a@example.net", "u@example.org"), t0 + 400), "DUNNO");
  EXPECT_TRUE(grey.decide(request("192.0.2.7", "b@example.net", "u@example.org"), t0 + 400).starts_with(kDelayed));
  // Appended: a's last-seen time, b's pass and its client's count.
  EXPECT_EQ(lines(), 4u + 3u);
}

TEST_F(GreylistFileTest, OpeningForgetsExpiredEntriesAndSkipsDamagedLines) {
  {
    std::ofstream out(path_);
    out << "T\t" << t0 << "\t" << t0 << "\t0\t192.0.2.0/24\ta@example.net\tu@example.org\n"
        << "T\t" << t0 + 40 * kDay << "\t" << t0 + 40 * kDay << "\t1\t192.0.2.0/24\tb@example.net\tu@example.org\n"
        << "garbage\n"
        << "T\tx\t1\t0\tn\ts\tr\n"
        << "C\t" << t0 + 40 * kDay << "\t3\t192.0.2.0/24\n"
        << "T\t" << t0 + 40 * kDay << "\t" << t0 + 40 * kDay << "\t0\t10.0.0.0/24\tcut@exam";
  }
  GreylistStore store(path_, 35 * kDay, t0 + 41 * kDay);
  EXPECT_EQ(store.triplets().size(), 1u);
  EXPECT_TRUE(store.triplet({"192.0.2.0/24", "b@example.net", "u@example.org"}, t0 + 41 * kDay));
  EXPECT_EQ(store.client("192.0.2.0/24", t0 + 41 * kDay), (ClientState{t0 + 40 * kDay, 3}));
  EXPECT_EQ(lines(), 2u);
}

TEST(PolicyServer, AnswersEveryCompleteRequestAndKeepsTheRest) {
  std::vector<Attributes> seen;
  PolicyServer server([&](const Attributes& a) {
    seen.push_back(a);
    return "DUNNO";
  });
  std::string buffer = "request=smtpd_access_policy\nsender=a@b\n\nrequest=smtpd_access_policy\r\nrecipient=x=y\r\n\nclient_add";
  EXPECT_EQ(server.answer(buffer), "action=DUNNO\n\naction=DUNNO\n\n");
  EXPECT_EQ(buffer, "client_add");
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].at("sender"), "a@b");
  EXPECT_EQ(seen[1].at("recipient"), "x=y");
  std::string bad = "no equals sign\n\n";
  EXPECT_THROW(server.answer(bad), std::runtime_error);
  std::string huge(kMaxRequest + 1, 'a');
  EXPECT_THROW(server.answer(huge), std::runtime_error);
}

}  // namespace
}  // namespace posthorn::greylist
