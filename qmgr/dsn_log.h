// dsn_log - which recipients of a queued message have had their final DSN
// (failure or success) sent: one small file per message in bounce/
//
//   DsnLog log(root + "/bounce/" + queueId);
//   std::set<std::uint32_t> done = log.read();
//   ... the bounce service says the DSN is queued ...
//   log.append({2, 5});   // durable (fdatasync) when it returns
//   log.remove();         // after the queue file itself is gone
//
// Lines are "i<index>;". Each append starts a new line, so a torn append
// leaves a line without its ';', which a reader ignores: the worst a crash
// does is one notification sent twice, never one lost. doc/bounces.md.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace posthorn::qmgr {

class DsnLog {
 public:
  explicit DsnLog(std::string path) : path_(std::move(path)) {}
  // The indices recorded; none when the file does not exist.
  std::set<std::uint32_t> read() const;
  // Throws std::runtime_error when the record is not on disk.
  void append(const std::vector<std::uint32_t>& indices) const;
  void remove() const;

 private:
  std::string path_;
};

}  // namespace posthorn::qmgr
