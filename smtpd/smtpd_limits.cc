// smtpd_limits - limits checked against anvil's counts (see smtpd_limits.h)
#include "smtpd/smtpd_limits.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "lib/log/log.h"

namespace posthorn::smtpd {

namespace {

class AnvilCounter : public EventCounter {
 public:
  AnvilCounter(std::string socketPath, std::string service)
      : client_(std::move(socketPath), std::chrono::seconds(5)), service_(std::move(service)) {}
  ipc::AnvilReply count(ipc::AnvilEvent event, const std::string& address) override {
    return client_.report(event, service_, address);
  }

 private:
  anvil::AnvilClient client_;
  std::string service_;
};

ipc::AnvilEvent anvilEvent(LimitEvent event) {
  switch (event) {
    case LimitEvent::Connect: return ipc::AnvilEvent::Connect;
    case LimitEvent::Message: return ipc::AnvilEvent::Message;
    case LimitEvent::Recipient: return ipc::AnvilEvent::Recipient;
    case LimitEvent::NewTls: return ipc::AnvilEvent::NewTls;
    case LimitEvent::Auth: return ipc::AnvilEvent::Auth;
  }
  return ipc::AnvilEvent::Connect;
}

// Postfix's words: the warning's "... limit exceeded" and the reply.
constexpr Refusal kConcurrency{"Connection concurrency", 421, "4.7.0", true, "Error: too many connections from "};
constexpr Refusal kConnectionRate{"Connection rate", 421, "4.7.0", true, "Error: too many connections from "};
// By LimitEvent; Connect's own are the two above.
constexpr Refusal kRefusals[] = {
    kConnectionRate,
    {"Message delivery request rate", 450, "4.7.1", false, "Error: too much mail from "},
    {"Recipient address rate", 450, "4.7.1", false, "Error: too many recipients from "},
    {"New TLS session rate", 421, "4.7.0", true, "Error: too many new TLS sessions from "},
    {"AUTH command rate", 450, "4.7.1", false, "Error: too many AUTH commands from "},
};

address::CidrList exceptionList(const std::vector<std::string>& entries) {
  try {
    return address::CidrList::parse(entries, "smtpd_client_event_limit_exceptions");
  } catch (const address::CidrError& e) {
    throw config::ConfigError(e.what());
  }
}

}  // namespace

AnvilLimits::AnvilLimits(const Settings& settings, std::string service,
                         std::unique_ptr<EventCounter> counter)
    : settings_(settings),
      service_(std::move(service)),
      counter_(std::move(counter)),
      exceptions_(exceptionList(settings.eventLimitExceptions)) {}

std::unique_ptr<EventCounter> AnvilLimits::anvilCounter(std::string socketPath, std::string service) {
  return std::make_unique<AnvilCounter>(std::move(socketPath), std::move(service));
}

int AnvilLimits::limitOf(LimitEvent event) const {
  switch (event) {
    case LimitEvent::Connect:
      return std::max(settings_.connectionCountLimit, settings_.connectionRateLimit);
    case LimitEvent::Message: return settings_.messageRateLimit;
    case LimitEvent::Recipient: return settings_.recipientRateLimit;
    case LimitEvent::NewTls: return settings_.newTlsRateLimit;
    case LimitEvent::Auth: return settings_.authRateLimit;
  }
  return 0;
}

std::optional<Reply> AnvilLimits::check(LimitEvent event, const std::string& address,
                                        const std::string& namaddr) {
  if (limitOf(event) <= 0 || address.empty() || exceptions_.matches(address)) return std::nullopt;
  ipc::AnvilReply counts;
  try {
    counts = counter_->count(anvilEvent(event), address);
  } catch (const anvil::AnvilError& e) {
    if (!warned_) log::warning("%s: client limits not applied", e.what());
    warned_ = true;
    return std::nullopt;
  }
  if (event == LimitEvent::Connect) {
    ++connected_[address];
    if (settings_.connectionCountLimit > 0 && static_cast<int>(counts.count) > settings_.connectionCountLimit)
      return refuse(kConcurrency, counts.count, address, namaddr);
    if (settings_.connectionRateLimit > 0 && static_cast<int>(counts.rate) > settings_.connectionRateLimit)
      return refuse(kConnectionRate, counts.rate, address, namaddr);
    return std::nullopt;
  }
  if (static_cast<int>(counts.rate) <= limitOf(event)) return std::nullopt;
  return refuse(kRefusals[static_cast<std::size_t>(event)], counts.rate, address, namaddr);
}

Reply AnvilLimits::refuse(const Refusal& r, std::uint32_t value, const std::string& address,
                          const std::string& namaddr) const {
  log::warning("%s limit exceeded: %u from %s for service %s", r.what, value, namaddr.c_str(),
               service_.c_str());
  std::string text = r.withHost ? settings_.myhostname + " " : std::string();
  return Reply(r.code, r.enhanced, text + r.text + address);
}

void AnvilLimits::disconnect(const std::string& address) {
  auto it = connected_.find(address);
  if (it == connected_.end()) return;
  if (--it->second == 0) connected_.erase(it);
  try {
    counter_->count(ipc::AnvilEvent::Disconnect, address);
  } catch (const anvil::AnvilError& e) {
    // anvil takes the count back itself when this connection to it closes.
    log::debug("%s", e.what());
  }
}

}  // namespace posthorn::smtpd
