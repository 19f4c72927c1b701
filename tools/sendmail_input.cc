// sendmail_input - the end-of-message dot and the mbox From_ line
#include "tools/sendmail_input.h"

namespace posthorn::sendmail {
namespace {

constexpr std::string_view kFrom = "From ";

bool isPrefixOf(std::string_view a, std::string_view b) { return b.substr(0, a.size()) == a; }

}  // namespace

bool MessageInput::mayBeDot() const {
  return dotEnds_ && (held_ == "." || held_ == ".\r" || held_ == ".\n" || held_ == ".\r\n");
}

bool MessageInput::mayBeFrom() const { return firstLine_ && isPrefixOf(held_, kFrom); }

bool MessageInput::feed(std::string_view in, std::string* out) {
  if (ended_) return true;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (skipping_) {
      if (c == '\n') {
        skipping_ = false;
        lineStart_ = true;
      }
      continue;
    }
    if (lineStart_ && !holding_ && (dotEnds_ || firstLine_)) holding_ = true;
    if (!holding_) {
      out->push_back(c);
      lineStart_ = c == '\n';
      if (lineStart_) firstLine_ = false;
      continue;
    }
    held_.push_back(c);
    if (dotEnds_ && (held_ == ".\n" || held_ == ".\r\n")) {
      ended_ = true;
      held_.clear();
      return true;
    }
    if (mayBeFrom() && held_.size() == kFrom.size()) {
      skipping_ = true;
      holding_ = false;
      firstLine_ = false;
      lineStart_ = false;
      held_.clear();
      continue;
    }
    if (mayBeDot() || mayBeFrom()) continue;
    out->append(held_);
    held_.clear();
    holding_ = false;
    lineStart_ = c == '\n';
    firstLine_ = false;
  }
  return false;
}

void MessageInput::finish(std::string* out) {
  if (ended_) return;
  // "." or ".\r" as the last line also ends the message.
  if (!(dotEnds_ && (held_ == "." || held_ == ".\r"))) out->append(held_);
  held_.clear();
  ended_ = true;
}

}  // namespace posthorn::sendmail
