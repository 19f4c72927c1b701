// message_source - in-memory and chained message sources
#include "lib/mailbox/message_source.h"

#include <algorithm>
#include <cstring>

namespace posthorn::mailbox {

std::size_t StringSource::read(char* buf, std::size_t size) {
  const std::size_t n = std::min(size, data_.size() - pos_);
  if (n > 0) std::memcpy(buf, data_.data() + pos_, n);
  pos_ += n;
  return n;
}

void ChainSource::add(std::unique_ptr<MessageSource> part) {
  parts_.push_back(part.get());
  owned_.push_back(std::move(part));
}

std::size_t ChainSource::read(char* buf, std::size_t size) {
  if (size == 0) return 0;
  while (current_ < parts_.size()) {
    const std::size_t n = parts_[current_]->read(buf, size);
    if (n > 0) return n;
    ++current_;
  }
  return 0;
}

}  // namespace posthorn::mailbox
