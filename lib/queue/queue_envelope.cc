// queue_envelope - small helpers of the envelope model
#include "lib/queue/queue_envelope.h"

namespace posthorn::queue {

Time now() {
  return std::chrono::time_point_cast<std::chrono::microseconds>(
      std::chrono::system_clock::now());
}

std::string_view recipientStateName(RecipientState state) {
  switch (state) {
    case RecipientState::Todo: return "todo";
    case RecipientState::Delivered: return "delivered";
    case RecipientState::Relayed: return "relayed";
    case RecipientState::Expanded: return "expanded";
    case RecipientState::Failed: return "failed";
  }
  return "unknown";
}

const std::string* Envelope::attribute(std::string_view name) const {
  for (const auto& [key, value] : attributes)
    if (key == name) return &value;
  return nullptr;
}

bool Envelope::allDone() const {
  for (const auto& r : recipients)
    if (!r.status.done()) return false;
  return true;
}

}  // namespace posthorn::queue
