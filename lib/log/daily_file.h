// daily_file - statistics kept one file per UTC day: lines appended to
// DIRECTORY/YYYYMMDD
//
//   log::DailyFile history("/dmarc", "the DMARC evaluation");
//   history.append(line, time);   // line without its newline
//
// Each line goes out in one write() to a file opened O_APPEND, so the
// lines of concurrent processes never mix; nothing is fsynced (statistics:
// a crash may lose the last lines, never mail). A failure is logged once
// per file name and never thrown: a full disk must not stop mail. Used for
// smtpd's DMARC evaluations (lib/mailauth/dmarc_history.h) and smtp's
// TLS-RPT sessions (smtp/tls_rpt_log.h); the report commands read them.
#pragma once

#include <ctime>
#include <string>
#include <string_view>

namespace posthorn::log {

class DailyFile {
 public:
  // `what` names a line in the warning: "cannot record WHAT in FILE: ...".
  DailyFile(std::string directory, std::string what) : directory_(std::move(directory)), what_(std::move(what)) {}
  // Appends line + '\n' to fileFor(time); false when it could not.
  bool append(std::string_view line, std::time_t time);
  // directory/YYYYMMDD for that time (UTC).
  std::string fileFor(std::time_t time) const;

 private:
  std::string directory_, what_;
  std::string lastFailedFile_;
};

}  // namespace posthorn::log
