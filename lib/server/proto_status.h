// proto_status - the master/worker status protocol: what a worker tells master
//
// master gives every worker of a service the write end of the service's
// status pipe (server::kStatusFd). The worker writes a WorkerStatus record:
// Available when it waits for a client, Busy while it has clientLimit
// clients. master starts another worker only when the listener is
// readable, no worker is Available, and fewer than maxproc run (the Postfix
// model). The worker writes Available when its loop starts and whenever it
// drops below clientLimit again, and Busy when it reaches clientLimit or
// stops accepting for good (maxUse reached, SIGTERM), so master starts a
// replacement in time. Without a status fd (a worker started by hand)
// nothing is sent.
//
// A record is fixed-size, smaller than PIPE_BUF and written with one
// write(), so records from many workers never interleave; its padding
// bytes are zero. It starts with the protocol version, which stays the
// first field in every version. master reads the pipe in packet mode
// (O_DIRECT: one read, one record), so it knows each record's size too: a
// record of another version or size (a worker of a half-upgraded
// installation) is logged and ignored, never guessed at.
#pragma once

#include <limits.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace posthorn::server {

// Bump on any change to WorkerStatus or WorkerState.
inline constexpr std::uint32_t kStatusProtoVersion = 1;

enum class WorkerState : std::uint8_t { Available = 'A', Busy = 'B' };

struct WorkerStatus {
  std::uint32_t version;  // kStatusProtoVersion
  pid_t pid;
  WorkerState state;
};

static_assert(sizeof(WorkerStatus) <= PIPE_BUF, "status records must not interleave");

// The record a worker writes (padding zeroed).
WorkerStatus statusRecord(pid_t pid, WorkerState state);

// The record in `bytes` (one packet read from the status pipe), or nullopt
// when it is not a record of this version and size; then *why says what
// it is, for the log. The state is not checked here.
std::optional<WorkerStatus> parseStatusRecord(std::string_view bytes, std::string* why);

}  // namespace posthorn::server
