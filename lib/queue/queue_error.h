// queue_error - the one exception every queue file operation throws
//
// The message always names the file and what is wrong with it, e.g.
// "incoming/4Xb2kQ1z7TzA0: truncated: expected 4096 bytes, file has 4000".
// kind() lets the caller choose: Corrupt/Truncated files go to corrupt/,
// Io and Locked mean "try again later" (an SMTP server answers 4xx).
#pragma once

#include <stdexcept>
#include <string>

namespace posthorn::queue {

class QueueFileError : public std::runtime_error {
 public:
  enum class Kind {
    Io,                  // a system call failed (ENOSPC, EIO, EACCES, ...)
    Truncated,           // the file is shorter than its header says
    Corrupt,             // a checksum, length or field is wrong
    UnsupportedVersion,  // written by a newer major version
    Locked,              // another process holds the update lock
    Invalid,             // the caller passed something unwritable
  };

  QueueFileError(Kind kind, const std::string& path, const std::string& detail)
      : std::runtime_error(path.empty() ? detail : path + ": " + detail),
        kind_(kind),
        path_(path),
        detail_(detail) {}

  Kind kind() const { return kind_; }
  const std::string& path() const { return path_; }
  const std::string& detail() const { return detail_; }
  // The file itself is bad (as opposed to the system or the caller).
  bool isDamaged() const { return kind_ == Kind::Truncated || kind_ == Kind::Corrupt; }

 private:
  Kind kind_;
  std::string path_;
  std::string detail_;
};

}  // namespace posthorn::queue
