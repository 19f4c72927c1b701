// daily_reports - what `posthorn dmarc send` and `posthorn tlsrpt send`
// share: the statistics a daemon keeps one file a UTC day
// (lib/log/daily_file.h), which days to report, mailing a report through
// sendmail(1) (pickup and cleanup DKIM-sign it), and marking a day done
//
//   ReportOptions o;                       // -c DIR, -d DAY, -n, -o DIR
//   while (arg.next()) if (!reportOption(arg, &o)) arg.unknown();
//   return reportDays(dir, o, "posthorn dmarc", "evaluations", out, err,
//                     [&](ReportDay& day, const std::vector<std::string>& lines, int* skipped) {
//                       ... day.deliver(mailer, domain, to, message, out, err) ...
//                       return allWentOut;
//                     });
//
// A day's file is DIR/YYYYMMDD; once every report of it went out it is
// renamed DIR/YYYYMMDD.reported. A run that failed half-way lists in
// DIR/YYYYMMDD.sent which "DOMAIN ADDRESS" reports went out, so the next
// run sends none of them twice. Today is never reported: its file is
// still written, and a second report later would repeat the report ID.
#pragma once

#include <ctime>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "lib/config/config.h"
#include "tools/command.h"

namespace posthorn::tools {

struct ReportOptions {
  std::string configDir;  // -c
  std::string day;        // -d YYYYMMDD (before today; checked)
  std::string outDir;     // -o: a copy of each report there
  bool dryRun = false;    // -n: nothing sent, nothing renamed
};

// Takes -c, -d, -n and -o; false for any other option (the caller's).
bool reportOption(ArgCursor& arg, ReportOptions* o);

bool isDay(const std::string& s);  // YYYYMMDD
std::string today();               // UTC
std::time_t dayStart(const std::string& day);  // 00:00:00 UTC of YYYYMMDD

std::vector<std::string> readLines(const std::string& path);
// The files to report: the day asked for (DAY, or DAY.reported to report
// it again), or every unreported day before today, oldest first.
std::vector<std::string> daysToReport(const std::string& dir, const std::string& day);

// One address of a DNS record's rua= list (DMARC, TLS-RPT).
struct ReportUri {
  std::string address;   // lower case, %XX decoded
  long long limit = 0;   // DMARC's "!size", bytes; 0 = none
};
// "mailto:a@example.org!10m, https://..." -> the mailto: addresses that
// are plain addr-specs (anything else could name a third party or inject
// header lines into signed mail); the other URIs (https:) in *others.
std::vector<ReportUri> mailtoAddresses(const std::string& rua, std::vector<std::string>* others = nullptr);
// A DNS name of at least two labels: letters, digits, '-', '_' ('_' for
// the odd real one); what policy domains and rua domains must be.
bool isDnsName(const std::string& name);

// Base64 in lines of 76, each ending in "\n" (a MIME attachment's body).
std::string base64Lines(const std::string& data);
// The domain of an address, lower case; "" without '@'.
std::string domainOf(const std::string& address);
// A report as mail, as RFC 7489 7.2.1.1 and RFC 8460 5.3 both shape it:
// Subject "Report Domain: D Submitter: S Report-ID: <ID>", a multipart
// with a text part and the report attached in base64.
struct ReportMail {
  std::string from, to, policyDomain, submitter, reportId;
  std::string headers;         // more header lines, each ending in "\n"
  std::string multipart;       // "multipart/mixed", "multipart/report; report-type=\"tlsrpt\""
  std::string text;            // the text part's body
  std::string attachmentType;  // "application/gzip"
  std::string fileName, attachment;
  std::time_t begin = 0;       // the report's day, for the boundary
};
std::string reportMail(const ReportMail& mail);
// The time in UTC, formatted by strftime: utcText(t, "%Y-%m-%d").
std::string utcText(std::time_t time, const char* format);

// Writes a report file into -o's directory; returns its path.
std::string writeReportFile(const std::string& dir, const std::string& name, const std::string& data);

// How reports are mailed: sendmail(1) from command_directory, as `sender`.
struct Mailer {
  const config::Config& config;
  std::string sender;
  bool dryRun = false;
  std::string command;  // "posthorn dmarc", for the messages on err
};

class ReportDay {
 public:
  // file: DAY or DAY.reported (then everything is sent again, and nothing
  // is renamed).
  ReportDay(std::string dir, std::string file);
  const std::string& day() const { return day_; }
  const std::string& file() const { return file_; }

  // Mails `message` to `to`, unless -n or already sent for `domain`;
  // prints "  TO: sent" and the like on out. false when it failed for now:
  // the day must stay unreported for the next run. A permanent refusal of
  // sendmail's (a bad address) is given up and counts as done.
  bool deliver(const Mailer& mailer, const std::string& domain, const std::string& to, const std::string& message,
               std::ostream& out, std::ostream& err);
  // Every report of the day went out: DAY becomes DAY.reported and DAY.sent
  // goes (not with -n, not for DAY.reported).
  void finish(bool dryRun);

 private:
  std::string dir_, file_, day_, sentPath_;
  std::vector<std::string> sent_;
};

// The day loop of a report command: for each file of daysToReport(dir,
// o.day), report(day, its lines, &skipped) builds and sends the day's
// reports, and says false when one must be tried again: the day then
// stays unreported, else it is finished. Prints "COMMAND: no WHAT to
// report in DIR" when there is no day, and the lines skipped. Returns the
// exit status: 0, or 1 when a day stays.
using DayReporter = std::function<bool(ReportDay& day, const std::vector<std::string>& lines, int* skipped)>;
int reportDays(const std::string& dir, const ReportOptions& o, std::string_view command, std::string_view what,
               std::ostream& out, std::ostream& err, const DayReporter& report);

}  // namespace posthorn::tools
