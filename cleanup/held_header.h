// held_header - the header section of a message held while it streams by,
// for the stages that must see all of it before they can start (DKIM
// chooses its key by From, ARC signs header fields before the body)
//
//   HeldHeader held(1 << 20);
//   switch (held.add(piece)) { case HeldHeader::Status::Complete: use(held.header(), held.rest()); ... }
//
// The header ends at the first empty line ("\n\n", or "\n" at the very
// start); the piece that ends it may carry the start of the body, which
// rest() returns. A header longer than the limit is dropped (TooLong),
// decided by the header's own length, so how the content was cut into
// pieces changes nothing.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace posthorn::cleanup {

class HeldHeader {
 public:
  enum class Status { More, Complete, TooLong };
  explicit HeldHeader(std::size_t limit) : limit_(limit) {}

  // Only while More has been returned so far.
  Status add(std::string_view piece);
  // At the end of a message that is all header (no empty line): the
  // whole of it is the header. Status::Complete unless nothing was held.
  Status endOfMessage();

  std::string_view header() const { return std::string_view(held_).substr(0, end_); }
  std::string_view rest() const { return std::string_view(held_).substr(end_); }
  std::string_view all() const { return held_; }
  void release();  // frees the memory once the caller is done with it

 private:
  std::size_t limit_;
  std::string held_;
  std::size_t end_ = 0;
};

}  // namespace posthorn::cleanup
