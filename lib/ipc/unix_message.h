// unix_message - one recvmsg() with room for ancillary data, and the
// descriptors passed with it (Channel's frames, the log service's datagrams)
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <cstddef>
#include <vector>

namespace posthorn::ipc {

// One non-blocking recvmsg() of up to len bytes into buf, with control
// messages into control (passed descriptors arrive close-on-exec).
// Returns what recvmsg() returns (EINTR and EAGAIN are the caller's);
// *msg then describes what came: msg_flags, and the control messages for
// CMSG_FIRSTHDR/CMSG_NXTHDR.
ssize_t receiveMessage(int fd, char* buf, std::size_t len, char* control, std::size_t controlLen,
                       msghdr* msg);

// The descriptors of an SCM_RIGHTS control message (none for any other
// kind); the caller owns them.
std::vector<int> passedFds(const cmsghdr* c);

}  // namespace posthorn::ipc
