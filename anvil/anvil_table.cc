// anvil_table - counts and windows (see anvil_table.h)
#include "anvil/anvil_table.h"

namespace posthorn::anvil {

namespace {

constexpr const char* kNames[] = {"connection rate", "connection count", "message rate",
                                  "recipient rate",  "newtls rate",      "auth rate",
                                  "cache size"};

}  // namespace

AnvilTable::AnvilTable(std::chrono::seconds timeUnit) : timeUnit_(timeUnit) {
  if (timeUnit_.count() <= 0) timeUnit_ = std::chrono::seconds(1);
  resetStatistics();
}

ipc::AnvilReply AnvilTable::record(ipc::AnvilEvent event, const std::string& ident,
                                   Clock::time_point now) {
  if (now - lastPrune_ >= timeUnit_) prune(now);
  ipc::AnvilReply reply;
  if (event == ipc::AnvilEvent::Disconnect) {
    auto it = entries_.find(ident);
    if (it != entries_.end() && it->second.count > 0) --it->second.count;
    return reply;
  }
  auto [it, fresh] = entries_.try_emplace(ident);
  Entry& e = it->second;
  if (fresh || now - e.start >= timeUnit_) {
    for (std::uint32_t& r : e.rates) r = 0;
    e.start = now;
  }
  const auto slot = static_cast<std::size_t>(event);
  reply.rate = ++e.rates[slot];
  note(slot, reply.rate, ident, now);
  if (event == ipc::AnvilEvent::Connect) {
    reply.count = ++e.count;
    note(kCountSlot, reply.count, ident, now);
  }
  if (fresh) note(kCacheSlot, static_cast<std::uint32_t>(entries_.size()), "", now);
  return reply;
}

void AnvilTable::prune(Clock::time_point now) {
  lastPrune_ = now;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.count == 0 && now - it->second.start >= timeUnit_) it = entries_.erase(it);
    else ++it;
  }
}

void AnvilTable::note(std::size_t slot, std::uint32_t value, const std::string& ident,
                      Clock::time_point now) {
  Maximum& m = maxima_[slot];
  if (value <= m.value) return;
  m.value = value;
  m.ident = ident;
  m.when = now;
}

std::vector<AnvilTable::Maximum> AnvilTable::statistics() const {
  std::vector<Maximum> out;
  for (const Maximum& m : maxima_)
    if (m.value > 0) out.push_back(m);
  return out;
}

void AnvilTable::resetStatistics() {
  for (std::size_t i = 0; i <= kRates; ++i) {
    maxima_[i] = Maximum{};
    maxima_[i].what = kNames[i];
    maxima_[i].rate = i != kCountSlot && i != kCacheSlot;
  }
}

}  // namespace posthorn::anvil
