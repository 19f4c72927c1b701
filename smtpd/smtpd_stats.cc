// smtpd_stats - command counters in Postfix's disconnect format
#include "smtpd/smtpd_stats.h"

#include <algorithm>

namespace posthorn::smtpd {

namespace {

constexpr std::string_view kOrder[] = {"helo", "ehlo", "starttls", "auth", "mail", "rcpt",
                                       "data", "bdat", "rset", "noop", "vrfy", "help",
                                       "quit", "unknown"};

std::size_t rank(std::string_view name) {
  const auto* it = std::find(std::begin(kOrder), std::end(kOrder), name);
  return static_cast<std::size_t>(it - std::begin(kOrder));
}

std::string format(std::string_view name, int ok, int total) {
  std::string out = " " + std::string(name) + "=" + std::to_string(ok);
  if (ok != total) out += "/" + std::to_string(total);
  return out;
}

}  // namespace

void CommandStats::record(std::string_view name, bool ok) {
  auto it = std::find_if(counters_.begin(), counters_.end(),
                         [&](const Counter& c) { return c.name == name; });
  if (it == counters_.end()) {
    counters_.push_back(Counter{std::string(name), 0, 0});
    it = counters_.end() - 1;
  }
  ++it->total;
  ++total_;
  if (ok) {
    ++it->ok;
    ++ok_;
  }
}

std::string CommandStats::summary() const {
  std::vector<const Counter*> sorted;
  for (const auto& c : counters_) sorted.push_back(&c);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const Counter* a, const Counter* b) { return rank(a->name) < rank(b->name); });
  std::string out;
  for (const Counter* c : sorted) out += format(c->name, c->ok, c->total);
  if (total_ > 0) out += format("commands", ok_, total_);
  return out;
}

}  // namespace posthorn::smtpd
