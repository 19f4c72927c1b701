// smtpd_stats - per-connection command counters for the disconnect line
//
// "disconnect from host[1.2.3.4] ehlo=1 mail=1 rcpt=0/1 data=0/1 quit=1
// commands=3/5": for each command used, name=ok or name=ok/total when some
// failed (a 4xx/5xx reply), in Postfix's order, as fail2ban and pflogsumm
// read them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace posthorn::smtpd {

class CommandStats {
 public:
  // Counts one command; name is a lower case verb ("rcpt") or "unknown".
  void record(std::string_view name, bool ok);
  // " ehlo=1 mail=1 ... commands=5" (with a leading space; "" when none).
  std::string summary() const;
  int total() const { return total_; }

 private:
  struct Counter {
    std::string name;
    int ok = 0;
    int total = 0;
  };
  std::vector<Counter> counters_;
  int ok_ = 0;
  int total_ = 0;
};

}  // namespace posthorn::smtpd
