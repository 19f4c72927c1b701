// anvil_table - what anvil(8) knows: each client's connection count and event rates
//
// One entry per ident ("smtp:192.0.2.7"): how many connections it has now,
// and how many connections, messages, recipients, new TLS sessions and AUTH
// commands it made in the current window. A window starts with the first
// event of an entry (or the first after the last window ended) and lasts
// anvil_rate_time_unit; the first event after that starts a new window with
// every rate back at zero, as Postfix's anvil does: a client that made N
// connections in a second may make N more as soon as the unit has passed.
// An entry with no connection left is forgotten once its window is over.
//
// The table also keeps the largest count and rates seen and for whom
// (statistics()), which anvil logs at status time and when it exits.
// Times are passed in, so that tests need no clock.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "lib/proto/proto_anvil.h"

namespace posthorn::anvil {

using Clock = std::chrono::steady_clock;

class AnvilTable {
 public:
  explicit AnvilTable(std::chrono::seconds timeUnit);

  // The reply to one request: Connect counts the connection (count and
  // rate), Disconnect takes one back (never below zero), the others count
  // one event of their kind.
  ipc::AnvilReply record(ipc::AnvilEvent event, const std::string& ident, Clock::time_point now);

  // Drops the entries with no connection whose window has ended.
  void prune(Clock::time_point now);
  std::size_t size() const { return entries_.size(); }
  std::chrono::seconds timeUnit() const { return timeUnit_; }

  // The largest value of one measure since the last resetStatistics().
  struct Maximum {
    std::string what;   // "connection rate", "connection count", ...
    bool rate = false;  // a rate: logged as N/UNITs
    std::uint32_t value = 0;
    std::string ident;  // "" for the cache size
    Clock::time_point when;
  };
  // The measures that were seen at all, in Postfix's order of its
  // "statistics:" lines.
  std::vector<Maximum> statistics() const;
  void resetStatistics();

 private:
  static constexpr std::size_t kRates = 6;  // indexed by AnvilEvent (Disconnect unused)
  struct Entry {
    std::uint32_t count = 0;
    std::uint32_t rates[kRates] = {};
    Clock::time_point start;  // of the current window
  };
  void note(std::size_t slot, std::uint32_t value, const std::string& ident, Clock::time_point now);

  std::chrono::seconds timeUnit_;
  std::unordered_map<std::string, Entry> entries_;
  Clock::time_point lastPrune_{};
  // maxima_[event] for the rates, maxima_[kCountSlot] the count,
  // maxima_[kCacheSlot] the table's size.
  static constexpr std::size_t kCountSlot = 1;  // Disconnect's slot: no rate of its own
  static constexpr std::size_t kCacheSlot = kRates;
  Maximum maxima_[kRates + 1];
};

}  // namespace posthorn::anvil
