// data_reader - the DATA state machine
#include "smtpd/data_reader.h"

namespace posthorn::smtpd {

void DataReader::lineEnd(std::string& out, bool crlf) {
  emit(out, "\r\n");
  state_ = State::LineStart;
  crlfLine_ = crlf;
}

void DataReader::bareLf(std::string& out) {
  bareLf_ = true;
  lineEnd(out, false);
}

void DataReader::bareCr(std::string& out) {
  bareCr_ = true;
  emit(out, "\r");
  state_ = State::InLine;
}

std::size_t DataReader::feed(std::string_view in, std::string& out) {
  std::size_t i = 0;
  while (i < in.size() && state_ != State::Done) {
    const char c = in[i];
    switch (state_) {
      case State::LineStart:
        ++i;
        if (c == '.') {
          state_ = State::Dot;
        } else if (c == '\r') {
          state_ = State::Cr;
        } else if (c == '\n') {
          bareLf(out);
        } else {
          emit(out, std::string_view(&c, 1));
          state_ = State::InLine;
        }
        break;
      case State::Dot:
        ++i;
        if (c == '\r') {
          state_ = State::DotCr;
        } else if (c == '\n') {
          bareLf(out);  // ".\n" is content: an empty line
        } else {
          emit(out, std::string_view(&c, 1));
          state_ = State::InLine;
        }
        break;
      case State::DotCr:
        if (c == '\n') {
          ++i;
          if (crlfLine_) {
            state_ = State::Done;
          } else {
            lineEnd(out, true);  // "\n.\r\n": content, an empty line
          }
        } else {
          bareCr(out);  // ".\r" then something else: c is looked at again
        }
        break;
      case State::InLine: {
        // The fast path: copy up to the next CR or LF in one go.
        const std::size_t end = in.find_first_of("\r\n", i);
        const std::size_t stop = end == std::string_view::npos ? in.size() : end;
        if (stop > i) emit(out, in.substr(i, stop - i));
        i = stop;
        if (i < in.size()) {
          if (in[i] == '\r') {
            state_ = State::Cr;
          } else {
            bareLf(out);
          }
          ++i;
        }
        break;
      }
      case State::Cr:
        if (c == '\n') {
          ++i;
          lineEnd(out, true);
        } else {
          bareCr(out);  // the pending CR was bare; c is looked at again in the line
        }
        break;
      case State::Done:
        break;
    }
  }
  return i;
}

}  // namespace posthorn::smtpd
