// anvil_table_test - anvil's counts and windows (anvil/anvil_table.h), and
// its statistics lines
#include <gtest/gtest.h>

#include "anvil/anvil_server.h"
#include "anvil/anvil_table.h"

namespace posthorn::anvil {
namespace {

using ipc::AnvilEvent;
using std::chrono::milliseconds;
using std::chrono::seconds;

const Clock::time_point t0 = Clock::time_point() + std::chrono::hours(1);

TEST(AnvilTable, CountsConcurrentConnectionsUpAndDown) {
  AnvilTable table(seconds(60));
  EXPECT_EQ(table.record(AnvilEvent::Connect, "smtp:192.0.2.7", t0).count, 1u);
  EXPECT_EQ(table.record(AnvilEvent::Connect, "smtp:192.0.2.7", t0).count, 2u);
  EXPECT_EQ(table.record(AnvilEvent::Connect, "smtp:192.0.2.8", t0).count, 1u);
  table.record(AnvilEvent::Disconnect, "smtp:192.0.2.7", t0);
  EXPECT_EQ(table.record(AnvilEvent::Connect, "smtp:192.0.2.7", t0).count, 2u);
  // Never below zero, and an unknown client's disconnect changes nothing.
  for (int i = 0; i < 5; ++i) table.record(AnvilEvent::Disconnect, "smtp:192.0.2.8", t0);
  table.record(AnvilEvent::Disconnect, "smtp:198.51.100.1", t0);
  EXPECT_EQ(table.record(AnvilEvent::Connect, "smtp:192.0.2.8", t0).count, 1u);
}

TEST(AnvilTable, ServicesAreCountedApart) {
  AnvilTable table(seconds(60));
  table.record(AnvilEvent::Connect, "smtp:192.0.2.7", t0);
  EXPECT_EQ(table.record(AnvilEvent::Connect, "submission:192.0.2.7", t0).count, 1u);
  EXPECT_EQ(table.record(AnvilEvent::Connect, "submission:192.0.2.7", t0).rate, 2u);
}

TEST(AnvilTable, RateCountsEventsInTheWindowThenStartsAgain) {
  AnvilTable table(seconds(2));
  const std::string id = "smtp:192.0.2.7";
  EXPECT_EQ(table.record(AnvilEvent::Connect, id, t0).rate, 1u);
  EXPECT_EQ(table.record(AnvilEvent::Connect, id, t0 + milliseconds(500)).rate, 2u);
  EXPECT_EQ(table.record(AnvilEvent::Connect, id, t0 + milliseconds(1999)).rate, 3u);
  // The window is anvil_rate_time_unit from its first event.
  EXPECT_EQ(table.record(AnvilEvent::Connect, id, t0 + seconds(2)).rate, 1u);
  EXPECT_EQ(table.record(AnvilEvent::Connect, id, t0 + seconds(3)).rate, 2u);
  // The count does not reset with the window: those connections are open.
  EXPECT_EQ(table.record(AnvilEvent::Connect, id, t0 + seconds(3)).count, 6u);
}

TEST(AnvilTable, EachEventHasItsOwnRateInOneWindow) {
  AnvilTable table(seconds(60));
  const std::string id = "smtp:192.0.2.7";
  table.record(AnvilEvent::Connect, id, t0);
  EXPECT_EQ(table.record(AnvilEvent::Message, id, t0).rate, 1u);
  EXPECT_EQ(table.record(AnvilEvent::Message, id, t0).rate, 2u);
  EXPECT_EQ(table.record(AnvilEvent::Recipient, id, t0).rate, 1u);
  EXPECT_EQ(table.record(AnvilEvent::NewTls, id, t0).rate, 1u);
  EXPECT_EQ(table.record(AnvilEvent::Auth, id, t0).rate, 1u);
  EXPECT_EQ(table.record(AnvilEvent::Message, id, t0 + seconds(59)).rate, 3u);
  EXPECT_EQ(table.record(AnvilEvent::Message, id, t0 + seconds(60)).rate, 1u);
  EXPECT_EQ(table.record(AnvilEvent::Recipient, id, t0 + seconds(60)).rate, 1u);
}

TEST(AnvilTable, ForgetsIdleClientsOnlyAfterTheirWindowAndLastConnection) {
  AnvilTable table(seconds(10));
  table.record(AnvilEvent::Connect, "smtp:192.0.2.7", t0);
  table.record(AnvilEvent::Connect, "smtp:192.0.2.8", t0);
  table.record(AnvilEvent::Disconnect, "smtp:192.0.2.8", t0);
  table.prune(t0 + seconds(5));
  EXPECT_EQ(table.size(), 2u);  // .8's window is not over
  table.prune(t0 + seconds(10));
  EXPECT_EQ(table.size(), 1u);  // .7 still has a connection
  table.record(AnvilEvent::Disconnect, "smtp:192.0.2.7", t0 + seconds(11));
  // record() prunes by itself once a time unit has passed.
  table.record(AnvilEvent::Message, "smtp:192.0.2.9", t0 + seconds(21));
  EXPECT_EQ(table.size(), 1u);
}

TEST(AnvilTable, StatisticsKeepTheLargestValuesInPostfixOrder) {
  AnvilTable table(seconds(60));
  table.record(AnvilEvent::Connect, "smtp:192.0.2.7", t0);
  table.record(AnvilEvent::Connect, "smtp:192.0.2.8", t0);
  table.record(AnvilEvent::Connect, "smtp:192.0.2.8", t0);
  table.record(AnvilEvent::Message, "smtp:192.0.2.7", t0);
  const auto lines = statisticsLines(table, t0);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0].rfind("statistics: max connection rate 2/60s for (smtp:192.0.2.8) at ", 0), 0u) << lines[0];
  EXPECT_EQ(lines[1].rfind("statistics: max connection count 2 for (smtp:192.0.2.8) at ", 0), 0u) << lines[1];
  EXPECT_EQ(lines[2].rfind("statistics: max message rate 1/60s for (smtp:192.0.2.7) at ", 0), 0u) << lines[2];
  EXPECT_EQ(lines[3].rfind("statistics: max cache size 2 at ", 0), 0u) << lines[3];
  table.resetStatistics();
  EXPECT_TRUE(statisticsLines(table, t0).empty());
}

}  // namespace
}  // namespace posthorn::anvil
