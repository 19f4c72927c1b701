// destination_limiter_test - per-destination concurrency in qmgr
// (qmgr/destination_limiter.h) and the settings behind it
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "lib/config/config.h"
#include "qmgr/destination_limiter.h"
#include "qmgr/qmgr_settings.h"

using namespace posthorn;

TEST(DestinationLimiter, NeverMoreThanTheLimitPerDestination) {
  qmgr::Settings settings{config::Config::defaults()};
  settings.destinationConcurrency = 3;
  settings.transportConcurrency["local"] = 2;
  qmgr::DestinationLimiter limiter(settings);
  std::atomic<int> now{0}, peak{0}, otherPeak{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 12; ++i) {
    threads.emplace_back([&, i] {
      const bool local = i % 2 == 0;
      auto slot = limiter.acquire(local ? "local" : "smtp", local ? "host" : "example.com");
      auto& counter = local ? now : other;
      auto& top = local ? peak : otherPeak;
      const int n = ++counter;
      int p = top.load();
      while (n > p && !top.compare_exchange_weak(p, n)) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      --counter;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(peak.load(), 2);       // local's own limit
  EXPECT_EQ(otherPeak.load(), 3);  // the default
  EXPECT_EQ(limiter.inUse("local", "host"), 0);
}

TEST(QmgrSettings, TransportLimitsFromTheConfiguration) {
  const auto cfg = config::Config::parse(
      "default_destination_concurrency_limit = 7\n"
      "smtp_destination_concurrency_limit = 4\n"
      "delay_warning_time = 4h\n"
      "notify_classes = resource, 2bounce\n",
      "posthorn.conf");
  const qmgr::Settings s(cfg);
  EXPECT_EQ(s.concurrencyLimit("smtp"), 4);
  EXPECT_EQ(s.concurrencyLimit("local"), 7);  // $default_destination_concurrency_limit
  EXPECT_EQ(s.concurrencyLimit("lmtp"), 7);
  EXPECT_EQ(s.deliveryThreads, 20);
  EXPECT_EQ(s.delayWarningTime, std::chrono::hours(4));
  EXPECT_TRUE(s.doubleBounces);
}
