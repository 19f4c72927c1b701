// auth_throttle - failure counts, growing delays and lockouts (see auth_throttle.h)
#include "auth/auth_throttle.h"

#include <algorithm>

namespace posthorn::auth {

int AuthThrottle::count(Table& table, const std::string& key, Clock::time_point now) {
  const auto it = table.find(key);
  if (it == table.end()) return 0;
  if (now - it->second.last >= settings_.lockoutTime) {
    table.erase(it);
    return 0;
  }
  return it->second.failures;
}

int AuthThrottle::record(Table& table, const std::string& key, Clock::time_point now) {
  const int before = count(table, key, now);
  if (before == 0 && table.size() >= kMaxEntries) prune(table, now);
  Entry& e = table[key];
  e.failures = before + 1;
  e.last = now;
  return e.failures;
}

void AuthThrottle::prune(Table& table, Clock::time_point now) {
  for (auto it = table.begin(); it != table.end();) {
    if (now - it->second.last >= settings_.lockoutTime) it = table.erase(it);
    else ++it;
  }
  while (table.size() >= kMaxEntries) {
    auto stalest = std::min_element(table.begin(), table.end(), [](const auto& a, const auto& b) {
      return a.second.last < b.second.last;
    });
    table.erase(stalest);
  }
}

bool AuthThrottle::locked(const std::string& address, const std::string& account,
                          Clock::time_point now, std::string* why) {
  if (settings_.clientLockoutThreshold > 0 && !address.empty() &&
      count(clients_, address, now) >= settings_.clientLockoutThreshold) {
    if (why != nullptr) *why = "client locked out";
    return true;
  }
  if (settings_.accountLockoutThreshold > 0 && !account.empty() &&
      count(accounts_, account, now) >= settings_.accountLockoutThreshold) {
    if (why != nullptr) *why = "account locked out";
    return true;
  }
  return false;
}

std::chrono::milliseconds AuthThrottle::delayFor(int failures) const {
  if (failures <= 0 || settings_.baseDelay.count() <= 0) return std::chrono::milliseconds(0);
  auto d = settings_.baseDelay;
  for (int i = 1; i < failures && d < settings_.maxDelay; ++i) d *= 2;
  return std::min(d, std::max(settings_.maxDelay, settings_.baseDelay));
}

std::chrono::milliseconds AuthThrottle::delay(const std::string& address,
                                              const std::string& account, bool failed,
                                              Clock::time_point now) {
  int n = address.empty() ? 0 : count(clients_, address, now);
  if (!account.empty()) n = std::max(n, count(accounts_, account, now));
  return delayFor(failed ? n + 1 : n);
}

int AuthThrottle::failure(const std::string& address, const std::string& account,
                          Clock::time_point now) {
  if (!account.empty()) record(accounts_, account, now);
  return address.empty() ? 0 : record(clients_, address, now);
}

void AuthThrottle::success(const std::string& address, const std::string& account) {
  clients_.erase(address);
  accounts_.erase(account);
}

int AuthThrottle::failures(const std::string& address, Clock::time_point now) {
  return count(clients_, address, now);
}

}  // namespace posthorn::auth
