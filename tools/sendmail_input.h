// sendmail_input - the message sendmail(1) reads on stdin
//
// Passes the bytes through unchanged except:
//  - without -i, a line that is only "." (LF or CRLF ended, or at the end
//    of input) ends the message; what follows is not read;
//  - a leading mailbox "From " line (an mbox separator) is dropped, as
//    Postfix's sendmail does.
// Memory stays constant: at most a few bytes of a line start are held back.
#pragma once

#include <string>
#include <string_view>

namespace posthorn::sendmail {

class MessageInput {
 public:
  explicit MessageInput(bool dotEnds) : dotEnds_(dotEnds) {}
  // Appends the content part of `in` to *out; returns true once the
  // message has ended (the rest of `in` is ignored then).
  bool feed(std::string_view in, std::string* out);
  // At the end of input: appends whatever was held back.
  void finish(std::string* out);
  bool ended() const { return ended_; }

 private:
  bool mayBeDot() const;
  bool mayBeFrom() const;

  bool dotEnds_;
  bool lineStart_ = true;
  bool firstLine_ = true;
  bool skipping_ = false;  // inside the dropped "From " line
  bool holding_ = false;
  bool ended_ = false;
  std::string held_;
};

}  // namespace posthorn::sendmail
