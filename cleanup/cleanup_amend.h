// cleanup_amend - checks what a client sends at the end of the content
// (ipc::CleanupAmend) before it goes into the queue file
//
// The prepended header fields become the envelope's prependedHeader
// (lib/queue/queue_envelope.h), which every delivery puts before the
// content, so they must be whole, well-formed header fields: a client that
// sends anything else is dropped (ipc::ProtocolError), as for any other
// malformed frame.
#pragma once

#include <string>
#include <string_view>

#include "lib/proto/proto_cleanup.h"
#include "lib/queue/queue_envelope.h"

namespace posthorn::cleanup {

// The fields with LF line ends. Throws ipc::ProtocolError saying what is
// wrong: more than kMaxCleanupPrepend bytes, an empty line, a line that is
// neither "Name:" nor a continuation, a continuation first, a NUL, a bare
// CR, a last line without an end.
std::string checkedPrependedHeader(std::string_view fields);

// Adds the amendment to the envelope being committed. Throws
// ipc::ProtocolError (too many attributes, an empty name, bad fields).
void applyAmend(const ipc::CleanupAmend& amend, queue::Envelope& envelope);

}  // namespace posthorn::cleanup
