// canonical_body - simple and relaxed body lengths, one character at a time
#include "lib/mailauth/canonical_body.h"

namespace posthorn::mailauth {

void CanonicalBodyLength::Form::endLine() {
  if (line == 0) {
    ++pendingEmpty;  // trailing empty lines do not count (both forms)
  } else {
    length += pendingEmpty * 2 + line + 2;
    pendingEmpty = 0;
  }
  line = 0;
}

void CanonicalBodyLength::endLine() {
  simple_.endLine();
  relaxed_.endLine();  // white space at the end of a line goes
  spacePending_ = false;
  lineOpen_ = false;
}

void CanonicalBodyLength::bodyChar(char c) {
  lineOpen_ = true;
  ++simple_.line;
  if (c == ' ' || c == '\t') {
    spacePending_ = true;  // a run of white space is one SP in relaxed
  } else {
    relaxed_.line += (spacePending_ ? 1 : 0) + 1;
    spacePending_ = false;
  }
}

void CanonicalBodyLength::feed(std::string_view piece) {
  for (char c : piece) {
    if (inHeader_) {
      if (c == '\n') {
        if (headerLineEmpty_) inHeader_ = false;  // the empty line: the body follows
        headerLineEmpty_ = true;
      } else if (c != '\r') {
        headerLineEmpty_ = false;
      }
      continue;
    }
    if (pendingCr_) {
      pendingCr_ = false;
      if (c == '\n') {
        endLine();  // CRLF
        continue;
      }
      bodyChar('\r');  // a bare CR is part of the line
    }
    if (c == '\r') {
      pendingCr_ = true;
      lineOpen_ = true;
    } else if (c == '\n') {
      endLine();
    } else {
      bodyChar(c);
    }
  }
}

long long CanonicalBodyLength::simple() const {
  CanonicalBodyLength end = *this;
  if (end.pendingCr_) end.bodyChar('\r');
  if (end.lineOpen_) end.endLine();  // a last line without its end gets one
  return end.simple_.length == 0 ? 2 : end.simple_.length;  // an empty body is one CRLF
}

long long CanonicalBodyLength::relaxed() const {
  CanonicalBodyLength end = *this;
  if (end.pendingCr_) end.bodyChar('\r');
  if (end.lineOpen_) end.endLine();
  return end.relaxed_.length;  // an empty body stays empty
}

}  // namespace posthorn::mailauth
