// canonical_body - the length of a message body in DKIM's canonical forms
// (RFC 6376 sections 3.4.3 "simple" and 3.4.4 "relaxed"), counted as the
// message streams by, in pieces of any size
//
//   CanonicalBodyLength n;
//   n.feed(piece1); n.feed(piece2);     // the whole message, header included
//   n.simple(); n.relaxed();            // bytes
//
// libopendkim stops counting at l=; this tells whether l= left part of
// the body unsigned. Lines end with CRLF or a bare LF; the header ends at
// the first empty line.
#pragma once

#include <string_view>

namespace posthorn::mailauth {

class CanonicalBodyLength {
 public:
  void feed(std::string_view piece);
  long long simple() const;
  long long relaxed() const;

 private:
  struct Form {
    long long length = 0;       // counted lines
    long long pendingEmpty = 0;  // empty lines that count only if a non-empty one follows
    long long line = 0;          // the current line so far
    void endLine();
  };
  void bodyChar(char c);
  void endLine();

  bool inHeader_ = true;
  bool headerLineEmpty_ = true;
  bool pendingCr_ = false;    // a CR whose LF may follow
  bool spacePending_ = false;  // relaxed: a run of white space before the next character
  bool lineOpen_ = false;      // characters since the last line end
  Form simple_, relaxed_;
};

}  // namespace posthorn::mailauth
