// held_header - find the header's end in what streams by, within a limit
#include "cleanup/held_header.h"

namespace posthorn::cleanup {

HeldHeader::Status HeldHeader::add(std::string_view piece) {
  if (piece.empty()) return Status::More;
  const std::size_t from = held_.empty() ? 0 : held_.size() - 1;
  held_.append(piece);
  std::size_t end = std::string::npos;
  if (held_.front() == '\n') end = 1;
  else if (const auto at = held_.find("\n\n", from); at != std::string::npos) end = at + 2;
  if ((end == std::string::npos ? held_.size() : end) > limit_) {
    release();
    return Status::TooLong;
  }
  if (end == std::string::npos) return Status::More;
  end_ = end;
  return Status::Complete;
}

HeldHeader::Status HeldHeader::endOfMessage() {
  end_ = held_.size();
  return held_.empty() ? Status::More : Status::Complete;
}

void HeldHeader::release() {
  held_.clear();
  held_.shrink_to_fit();
  end_ = 0;
}

}  // namespace posthorn::cleanup
