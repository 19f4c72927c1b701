// proto_status - building and checking master/worker status records (see proto_status.h)
#include "lib/server/proto_status.h"

#include <cstring>

namespace posthorn::server {

WorkerStatus statusRecord(pid_t pid, WorkerState state) {
  WorkerStatus status;
  std::memset(&status, 0, sizeof status);
  status.version = kStatusProtoVersion;
  status.pid = pid;
  status.state = state;
  return status;
}

std::optional<WorkerStatus> parseStatusRecord(std::string_view bytes, std::string* why) {
  std::uint32_t version = 0;
  if (bytes.size() >= sizeof version) std::memcpy(&version, bytes.data(), sizeof version);
  if (bytes.size() == sizeof(WorkerStatus) && version == kStatusProtoVersion) {
    WorkerStatus status;
    std::memcpy(&status, bytes.data(), sizeof status);
    return status;
  }
  *why = "a status record of " + std::to_string(bytes.size()) + " bytes";
  if (bytes.size() >= sizeof version) *why += " and version " + std::to_string(version);
  *why += " (this master speaks version " + std::to_string(kStatusProtoVersion) + ", " +
          std::to_string(sizeof(WorkerStatus)) + " bytes)";
  return std::nullopt;
}

}  // namespace posthorn::server
