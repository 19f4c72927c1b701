// rfc5322_date - the Date: header (RFC 5322 date-time, obsolete forms) as time_t
#pragma once

#include <ctime>
#include <optional>
#include <string_view>

namespace posthorn::imapd {

// "[Mon,] 7 Feb 1994 21:52:25 -0800 (PST)" as seconds since the epoch (UTC).
// Tolerated: comments, missing seconds, 2-digit years (< 50 is 20xx) and
// 3-digit years (+1900), named zones (UT, GMT, Z, EST/EDT, CST/CDT, MST/MDT,
// PST/PDT; other letters and a missing zone count as +0000), any case.
// nullopt for anything else (a bad month, day 32, hour 25...).
std::optional<std::time_t> parseRfc5322Date(std::string_view text);

// Days since 1970-01-01 of a proleptic Gregorian date (month 1..12).
long long daysFromCivil(long long year, unsigned month, unsigned day);

}  // namespace posthorn::imapd
