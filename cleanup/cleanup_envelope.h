// cleanup_envelope - from the envelope a client sent to the one stored
//
// checkEnvelope() refuses what no queue file should hold (an unknown RET or
// BODY value, BINARYMIME, NOTIFY bits that make no sense, control
// characters in an address, an empty recipient address or attribute
// name); toQueueEnvelope() copies the fields; addRecipients() appends the
// addresses found in the headers (sendmail -t); removeDuplicateRecipients()
// keeps the first of recipients that are the same (address with the
// domain compared case-insensitively, ORCPT and NOTIFY), as Postfix does.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "lib/proto/proto_cleanup.h"
#include "lib/queue/queue_envelope.h"

namespace posthorn::cleanup {

// What is wrong with the envelope, or nullopt when it can be stored.
std::optional<std::string> checkEnvelope(const ipc::CleanupEnvelope& envelope);

// arrival: used when the client left arrivalMicros at 0.
queue::Envelope toQueueEnvelope(const ipc::CleanupEnvelope& envelope, queue::Time arrival);

// Each address qualified with @origin when it has no domain.
void addRecipients(queue::Envelope& envelope, const std::vector<std::string>& addresses,
                   const std::string& origin);

// Returns how many were removed.
std::size_t removeDuplicateRecipients(queue::Envelope& envelope);

}  // namespace posthorn::cleanup
