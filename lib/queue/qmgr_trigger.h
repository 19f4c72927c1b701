// qmgr_trigger - tells qmgr that incoming/ has a new queue file
//
// The trigger is one byte, 'W' (kQmgrWakeup), sent to $queue_directory/
// public/qmgr: a Unix stream socket (master's `qmgr unix n - n ...`
// listener: connect, send, close), a Unix datagram socket (one datagram),
// or a FIFO (one write). Nothing waits: a missing socket, a refused
// connection, a full backlog or FIFO mean that qmgr is not running or is
// already awake, and qmgr scans incoming/ when it starts and on master's
// wakeup timer anyway, so a lost trigger delays a message, never loses it.
#pragma once

#include <string>

namespace posthorn::queue {

inline constexpr char kQmgrWakeup = 'W';

// Returns whether the byte was sent (tests, debug logging). Never throws.
bool wakeQmgr(const std::string& path) noexcept;

}  // namespace posthorn::queue
