// spawner - fork+exec of one worker process
//
// The child gets the service's listening socket on fd 3 and the write end
// of the service's status pipe on fd 4 (lib/server/server.h), /dev/null or
// master's own stdin/stdout/stderr on 0-2, an empty signal mask and default
// signal dispositions, and no other descriptor. An exec failure is reported
// back to master through a close-on-exec pipe, so master can log it instead
// of a silent exit status 127.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

namespace posthorn::master {

struct SpawnResult {
  pid_t pid = -1;          // -1 when fork failed
  int execErrno = 0;       // non-zero: the child could not exec (it exits 127)
  std::string error;       // why, when pid == -1 or execErrno != 0
};

// Starts `program` with `argv` (argv[0] included) and the two fds above.
SpawnResult spawnWorker(const std::string& program, const std::vector<std::string>& argv,
                        int listenFd, int statusFd);

}  // namespace posthorn::master
