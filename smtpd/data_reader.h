// data_reader - the content after DATA: dot-unstuffing and the end marker
//
// Only <CR><LF>.<CR><LF> ends the content (RFC 5321 4.1.1.4), and only
// when the line before it also ended in <CR><LF>: "\n.\n", "\r\n.\n",
// "\n.\r\n" and "\r.\r" are content, so one message is never split into two
// (SMTP smuggling, CVE-2023-51764). A leading '.' is removed from every
// line (RFC 5321 4.5.2).
//
// A bare LF (not preceded by CR) is, with BareNewline::Normalize (Postfix's
// smtpd_forbid_bare_newline = normalize, its default), taken as the end of
// a line and written as CRLF; with BareNewline::Reject it is noted
// (sawBareNewline) and the caller rejects the message. A bare CR is kept as
// content with Normalize (as Postfix does) and noted with Reject. Either
// way the reader keeps looking for the real end marker.
//
// The reader holds no line: content is emitted as soon as it is seen, so a
// line of any length costs no memory (Postfix splits long lines into
// records; the delivered message is the same).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace posthorn::smtpd {

enum class BareNewline { Normalize, Reject };

class DataReader {
 public:
  explicit DataReader(BareNewline mode) : mode_(mode) {}

  // Consumes bytes from `in`, appends content to `out` (lines end in
  // CRLF), and returns how many bytes of `in` were consumed: all of them,
  // or up to and including the end marker. done() tells which.
  std::size_t feed(std::string_view in, std::string& out);

  bool done() const { return state_ == State::Done; }
  // A bare LF was seen (Reject: the message must be refused).
  bool sawBareLf() const { return bareLf_; }
  // A bare CR was seen.
  bool sawBareCr() const { return bareCr_; }
  // Whether the content has to be refused under the mode.
  bool violation() const { return mode_ == BareNewline::Reject && (bareLf_ || bareCr_); }
  // Content bytes emitted so far.
  std::uint64_t size() const { return size_; }

 private:
  enum class State {
    LineStart,  // at the start of a line
    Dot,        // a '.' at the start of a line was dropped
    DotCr,      // ".\r" at the start of a line
    InLine,
    Cr,  // a '\r' inside a line, not yet known to be followed by '\n'
    Done,
  };
  void emit(std::string& out, std::string_view bytes) {
    out.append(bytes);
    size_ += bytes.size();
  }
  // A line ends (CRLF written); crlf: it ended in CRLF, not a bare LF.
  void lineEnd(std::string& out, bool crlf);
  void bareLf(std::string& out);
  // A CR not followed by LF: kept as content, noted.
  void bareCr(std::string& out);

  BareNewline mode_;
  State state_ = State::LineStart;
  bool crlfLine_ = true;  // the line that ended before LineStart ended in CRLF
  bool bareLf_ = false;
  bool bareCr_ = false;
  std::uint64_t size_ = 0;
};

}  // namespace posthorn::smtpd
