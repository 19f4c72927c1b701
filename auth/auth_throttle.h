// auth_throttle - authd's memory of failed password checks: delays and lockouts
//
// Failures are counted per client address and per account. Every finished
// check (right or wrong) from an address, or for an account, with n earlier
// failures is answered no sooner than delay(n), and a failure no sooner
// than delay(n + 1), where
//   delay(n) = min(auth_failure_delay * 2^(n-1), auth_failure_delay_limit)
// (delay(0) = 0), so a guesser slows down exponentially while the right
// password after a typo costs one short wait. When an address reaches
// auth_client_lockout_threshold failures it is locked out: every check
// from it is refused at once (Locked) for auth_lockout_time after the last
// failure; the same for an account at auth_account_lockout_threshold (0
// turns either lockout off). A success forgets the address's and the
// account's failures; failures older than auth_lockout_time are forgotten.
//
// The state lives in authd's memory (one authd-passdb process, maxproc 1:
// see authd(8)); at most kMaxEntries addresses and accounts each are kept,
// the stalest dropped first.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <string>

namespace posthorn::auth {

struct ThrottleSettings {
  std::chrono::milliseconds baseDelay{};  // auth_failure_delay
  std::chrono::milliseconds maxDelay{};   // auth_failure_delay_limit
  int clientLockoutThreshold{};           // auth_client_lockout_threshold
  int accountLockoutThreshold{};          // auth_account_lockout_threshold
  std::chrono::seconds lockoutTime{};     // auth_lockout_time
};

class AuthThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t kMaxEntries = 20000;

  explicit AuthThrottle(ThrottleSettings settings) : settings_(settings) {}

  // Whether checks from address (or for account, when not empty) are
  // refused now; *why says which.
  bool locked(const std::string& address, const std::string& account, Clock::time_point now,
              std::string* why = nullptr);
  // The least time the answer to a finished check takes (see above).
  std::chrono::milliseconds delay(const std::string& address, const std::string& account,
                                  bool failed, Clock::time_point now);
  // Records the outcome. failure() returns the address's failure count.
  int failure(const std::string& address, const std::string& account, Clock::time_point now);
  void success(const std::string& address, const std::string& account);

  int failures(const std::string& address, Clock::time_point now);
  std::chrono::milliseconds delayFor(int failures) const;
  const ThrottleSettings& settings() const { return settings_; }

 private:
  struct Entry {
    int failures = 0;
    Clock::time_point last{};
  };
  using Table = std::map<std::string, Entry>;
  int count(Table& table, const std::string& key, Clock::time_point now);
  int record(Table& table, const std::string& key, Clock::time_point now);
  void prune(Table& table, Clock::time_point now);

  ThrottleSettings settings_;
  Table clients_;
  Table accounts_;
};

}  // namespace posthorn::auth
