// imap_date - calendar dates and the date formats IMAP meets: RFC 3501 "date"
// and "date-time", and RFC 5322 Date: header values (obsolete forms too).
// Pure arithmetic: nothing here reads the process's TZ (no mktime/localtime).
#pragma once

#include <compare>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace posthorn::imapd {

// A proleptic Gregorian calendar date.
struct CivilDate {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
  auto operator<=>(const CivilDate&) const = default;
};

// Days since 1970-01-01 and back.
std::int64_t daysFromCivil(const CivilDate& date);
CivilDate civilFromDays(std::int64_t days);
// The calendar date of a moment as seen in a zone offsetMinutes east of UTC.
CivilDate civilDateAt(std::time_t t, int offsetMinutes);
// Whether year/month/day names a real day.
bool validCivilDate(const CivilDate& date);

// RFC 3501 date: "1-Feb-1994" (day 1 or 2 digits, month case-insensitive,
// 4-digit year). The caller has already taken off any quotes.
std::optional<CivilDate> parseImapDate(std::string_view text);

// A moment with the zone it was written in.
struct ImapDateTime {
  std::time_t time = 0;    // UTC
  int offsetMinutes = 0;   // east of UTC, -0700 is -420
};
// RFC 3501 date-time without its quotes, APPEND's date:
// "17-Jul-1996 02:44:25 -0700", day also " 7" or "7".
std::optional<ImapDateTime> parseImapDateTime(std::string_view text);
// INTERNALDATE's text without the quotes: " 7-Jul-1996 02:44:25 -0700"
// (date-day-fixed: a space before a 1-digit day).
std::string formatImapDateTime(std::time_t t, int offsetMinutes);

// An RFC 5322 Date: value (SEARCH's SENT* keys, MessageView::sentDate).
struct MessageDate {
  std::time_t time = 0;   // UTC
  int offsetMinutes = 0;  // the zone it was written in
  CivilDate date;         // the date as written (its own zone)
};
// Tolerant: optional day of week, comments, missing seconds, 2- and 3-digit
// years (RFC 5322 4.3), named zones UT GMT EST EDT CST CDT MST MDT PST PDT,
// military and unknown zones as -0000, a missing zone as -0000.
std::optional<MessageDate> parseMessageDate(std::string_view text);

}  // namespace posthorn::imapd
