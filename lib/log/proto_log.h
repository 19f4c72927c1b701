// proto_log - the log service protocol: one log line per datagram
//
// A process whose log goes to maillog_file sends each line to master's log
// service as a Unix datagram that carries exactly one frame,
// ipc::frameBytes(LogRecord::kType, LogRecord::kVersion, ipc::encode(record)).
// There is no reply. master validates the record (log_sink.h), stamps the
// time and host, and appends one line to maillog_file; a malformed datagram
// is counted and dropped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "lib/ipc/ipc.h"
#include "lib/ipc/service_path.h"
#include "lib/log/log.h"

namespace posthorn::log {
// master's log service: $queue_directory/private/log.
inline constexpr ipc::ServiceName kLogService{ipc::Visibility::Private, "log"};

// The codec rejects a level outside the enum (ipc_codec.h, ipcEnumValid).
inline bool ipcEnumValid(Level level) {
  return static_cast<unsigned>(level) <= static_cast<unsigned>(Level::Fatal);
}
}  // namespace posthorn::log

namespace posthorn::ipc {

// Bump on any change to the message below.
inline constexpr std::uint32_t kLogProtoVersion = 1;

// The biggest datagram the log service reads; a LogRecord is far smaller
// (its text is cut at log::kMaxLineLength).
inline constexpr std::size_t kMaxLogDatagram = 16u << 10;

struct LogRecord {
  static constexpr MsgType kType = MsgType::LogRecord;
  static constexpr std::uint32_t kVersion = kLogProtoVersion;
  log::Level level = log::Level::Info;
  std::string program;    // the sender's tag: "posthorn/smtpd"
  std::int32_t pid = 0;   // the sender's process id
  std::string text;       // the line without tag and severity prefix
  template <class V>
  void fields(V& v) {
    v("level", level);
    v("program", program);
    v("pid", pid);
    v("text", text);
  }
};

}  // namespace posthorn::ipc
