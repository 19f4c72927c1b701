// retry_policy_test - qmgr's backoff doubling, its cap, and queue lifetime
#include <gtest/gtest.h>

#include "lib/config/config.h"
#include "qmgr/qmgr_settings.h"
#include "qmgr/retry_policy.h"

using namespace posthorn;
using std::chrono::seconds;

namespace {

qmgr::Settings settingsWith(const std::string& text) {
  auto cfg = config::Config::parse(text, "test.conf");
  return qmgr::Settings(cfg);
}

}  // namespace

TEST(RetryPolicy, DoublesFromMinimalUpToMaximal) {
  const auto s = settingsWith("minimal_backoff_time = 300s\nmaximal_backoff_time = 4000s\n");
  const qmgr::RetryPolicy p(s);
  const std::chrono::sys_seconds t0{seconds(1'000'000)};
  EXPECT_EQ(p.nextRetry(1, t0) - t0, seconds(300));
  EXPECT_EQ(p.nextRetry(2, t0) - t0, seconds(600));
  EXPECT_EQ(p.nextRetry(3, t0) - t0, seconds(1200));
  EXPECT_EQ(p.nextRetry(4, t0) - t0, seconds(2400));
  EXPECT_EQ(p.nextRetry(5, t0) - t0, seconds(4000));
  EXPECT_EQ(p.nextRetry(500, t0) - t0, seconds(4000));
}

TEST(RetryPolicy, TimeUnitsAsPostfix) {
  const auto s = settingsWith("minimal_backoff_time = 5m\nmaximal_backoff_time = 1h\n"
                              "maximal_queue_lifetime = 2d\nbounce_queue_lifetime = 1d\n");
  EXPECT_EQ(s.minimalBackoff, seconds(300));
  EXPECT_EQ(s.maximalBackoff, seconds(3600));
  EXPECT_EQ(s.maximalQueueLifetime, seconds(2 * 86400));
  EXPECT_EQ(s.bounceQueueLifetime, seconds(86400));
}

TEST(RetryPolicy, MaximalNeverBelowMinimal) {
  const auto s = settingsWith("minimal_backoff_time = 600s\nmaximal_backoff_time = 10s\n");
  const qmgr::RetryPolicy p(s);
  const std::chrono::sys_seconds t0{seconds(0)};
  EXPECT_EQ(p.nextRetry(3, t0) - t0, seconds(600));
}

TEST(RetryPolicy, LifetimeDependsOnTheSender) {
  const auto s = settingsWith("maximal_queue_lifetime = 5d\nbounce_queue_lifetime = 1d\n");
  const qmgr::RetryPolicy p(s);
  const std::chrono::sys_seconds arrival{seconds(1'000'000)};
  EXPECT_FALSE(p.expired(arrival, false, arrival + seconds(2 * 86400)));
  EXPECT_TRUE(p.expired(arrival, true, arrival + seconds(2 * 86400)));
  EXPECT_TRUE(p.expired(arrival, false, arrival + seconds(5 * 86400)));
  EXPECT_FALSE(p.expired(arrival, false, arrival + seconds(5 * 86400 - 1)));
}

TEST(RetryPolicy, PermanentStatus) {
  EXPECT_EQ(qmgr::permanentStatus("4.2.2"), "5.2.2");
  EXPECT_EQ(qmgr::permanentStatus("4.4.1"), "5.4.1");
  EXPECT_EQ(qmgr::permanentStatus("5.1.1"), "5.1.1");
  EXPECT_EQ(qmgr::permanentStatus(""), "");
}
