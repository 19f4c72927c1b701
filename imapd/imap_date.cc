// imap_date - civil-date arithmetic and IMAP / RFC 5322 date parsing
#include "imapd/imap_date.h"

#include <array>
#include <cstdio>
#include <vector>

#include "lib/util/ascii.h"

namespace posthorn::imapd {

namespace {

constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr std::array<const char*, 7> kWeekdays = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// "Feb" (exactly, case-insensitive) -> 2.
int monthFromName(std::string_view s) {
  if (s.size() != 3) return 0;
  for (std::size_t i = 0; i < kMonths.size(); ++i) {
    if (util::startsWithIgnoreCase(s, kMonths[i])) return static_cast<int>(i) + 1;
  }
  return 0;
}

// All digits, 1..maxLen of them.
std::optional<int> number(std::string_view s, std::size_t minLen, std::size_t maxLen) {
  if (s.size() < minLen || s.size() > maxLen) return std::nullopt;
  int v = 0;
  for (const char c : s) {
    if (!isDigit(c)) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

// "+hhmm" / "-hhmm" -> minutes east of UTC.
std::optional<int> numericZone(std::string_view s) {
  if (s.size() != 5 || (s[0] != '+' && s[0] != '-')) return std::nullopt;
  const auto hh = number(s.substr(1, 2), 2, 2);
  const auto mm = number(s.substr(3, 2), 2, 2);
  if (!hh || !mm || *mm > 59) return std::nullopt;
  const int v = *hh * 60 + *mm;
  return s[0] == '-' ? -v : v;
}

struct TimeOfDay {
  int hour = 0, minute = 0, second = 0;
};

// "hh:mm:ss", or "hh:mm" when allowed.
std::optional<TimeOfDay> parseTime(std::string_view s, bool secondsOptional) {
  TimeOfDay t;
  const std::size_t c1 = s.find(':');
  if (c1 == std::string_view::npos) return std::nullopt;
  const std::size_t c2 = s.find(':', c1 + 1);
  const auto h = number(s.substr(0, c1), secondsOptional ? 1 : 2, 2);
  const auto m = number(s.substr(c1 + 1, c2 == std::string_view::npos ? std::string_view::npos : c2 - c1 - 1), 2, 2);
  if (!h || !m) return std::nullopt;
  t.hour = *h;
  t.minute = *m;
  if (c2 != std::string_view::npos) {
    const auto sec = number(s.substr(c2 + 1), 2, 2);
    if (!sec) return std::nullopt;
    t.second = *sec;
  } else if (!secondsOptional) {
    return std::nullopt;
  }
  if (t.hour > 23 || t.minute > 59 || t.second > 60) return std::nullopt;
  if (t.second == 60) t.second = 59;  // a leap second: the moment just before
  return t;
}

std::time_t toTime(const CivilDate& d, const TimeOfDay& t, int offsetMinutes) {
  return static_cast<std::time_t>(daysFromCivil(d) * 86400 + t.hour * 3600 + t.minute * 60 + t.second -
                                  static_cast<std::int64_t>(offsetMinutes) * 60);
}

// RFC 5322 obs-zone names and military letters.
std::optional<int> namedZone(std::string_view s) {
  struct Zone {
    const char* name;
    int hours;
  };
  static constexpr Zone kZones[] = {{"UT", 0},   {"UTC", 0},  {"GMT", 0},  {"Z", 0},    {"EST", -5},
                                    {"EDT", -4}, {"CST", -6}, {"CDT", -5}, {"MST", -7}, {"MDT", -6},
                                    {"PST", -8}, {"PDT", -7}};
  for (const Zone& z : kZones) {
    if (s.size() == std::string_view(z.name).size() && util::startsWithIgnoreCase(s, z.name)) return z.hours * 60;
  }
  for (const char c : s) {
    if (!isAlpha(c)) return std::nullopt;
  }
  // Military zones (RFC 5322 4.3: their sense was mixed up, treat as -0000)
  // and any other alphabetic zone: unknown offset.
  return 0;
}

// Splits an RFC 5322 date into tokens: comments dropped, commas and
// whitespace separate.
std::vector<std::string_view> dateTokens(std::string_view text, std::string& storage) {
  storage.clear();
  int depth = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (depth > 0) {
      if (c == '\\' && i + 1 < text.size()) {
        ++i;
      } else if (c == '(') {
        ++depth;
      } else if (c == ')') {
        --depth;
      }
      continue;
    }
    if (c == '(') {
      depth = 1;
      storage += ' ';
    } else if (c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      storage += ' ';
    } else {
      storage += c;
    }
  }
  std::vector<std::string_view> out;
  std::string_view s(storage);
  std::size_t i = 0;
  while (i < s.size()) {
    if (s[i] == ' ') {
      ++i;
      continue;
    }
    std::size_t j = s.find(' ', i);
    if (j == std::string_view::npos) j = s.size();
    out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

bool isWeekday(std::string_view s) {
  if (s.size() < 3) return false;
  for (const char* d : kWeekdays) {
    if (util::startsWithIgnoreCase(s, d)) {
      for (const char c : s) {
        if (!isAlpha(c)) return false;
      }
      return true;
    }
  }
  return false;
}

// A month token: "Feb", also "February" and "Feb." as seen in the wild.
int monthToken(std::string_view s) {
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  if (s.size() < 3) return 0;
  for (const char c : s) {
    if (!isAlpha(c)) return 0;
  }
  for (std::size_t i = 0; i < kMonths.size(); ++i) {
    if (util::startsWithIgnoreCase(s, kMonths[i])) return static_cast<int>(i) + 1;
  }
  return 0;
}

}  // namespace

std::int64_t daysFromCivil(const CivilDate& date) {
  // Howard Hinnant's days_from_civil, on a year starting in March.
  const std::int64_t y = static_cast<std::int64_t>(date.year) - (date.month <= 2 ? 1 : 0);
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t mp = (date.month + 9) % 12;
  const std::int64_t doy = (153 * mp + 2) / 5 + date.day - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

CivilDate civilFromDays(std::int64_t days) {
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const std::int64_t doe = days - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  CivilDate d;
  d.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  d.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  d.year = static_cast<int>(yoe + era * 400 + (d.month <= 2 ? 1 : 0));
  return d;
}

CivilDate civilDateAt(std::time_t t, int offsetMinutes) {
  const std::int64_t local = static_cast<std::int64_t>(t) + static_cast<std::int64_t>(offsetMinutes) * 60;
  std::int64_t days = local / 86400;
  if (local % 86400 < 0) --days;
  return civilFromDays(days);
}

bool validCivilDate(const CivilDate& d) {
  if (d.month < 1 || d.month > 12 || d.day < 1) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int max = kDays[d.month - 1];
  const bool leap = (d.year % 4 == 0 && d.year % 100 != 0) || d.year % 400 == 0;
  if (d.month == 2 && leap) max = 29;
  return d.day <= max;
}

std::optional<CivilDate> parseImapDate(std::string_view text) {
  const std::size_t d1 = text.find('-');
  if (d1 == std::string_view::npos) return std::nullopt;
  const std::size_t d2 = text.find('-', d1 + 1);
  if (d2 == std::string_view::npos) return std::nullopt;
  const auto day = number(text.substr(0, d1), 1, 2);
  const int month = monthFromName(text.substr(d1 + 1, d2 - d1 - 1));
  const auto year = number(text.substr(d2 + 1), 4, 4);
  if (!day || month == 0 || !year) return std::nullopt;
  CivilDate d{*year, month, *day};
  if (!validCivilDate(d)) return std::nullopt;
  return d;
}

std::optional<ImapDateTime> parseImapDateTime(std::string_view text) {
  if (!text.empty() && text[0] == ' ') text.remove_prefix(1);  // date-day-fixed " 7"
  const std::size_t sp1 = text.find(' ');
  if (sp1 == std::string_view::npos) return std::nullopt;
  const std::size_t sp2 = text.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return std::nullopt;
  const auto date = parseImapDate(text.substr(0, sp1));
  const auto time = parseTime(text.substr(sp1 + 1, sp2 - sp1 - 1), false);
  const auto zone = numericZone(text.substr(sp2 + 1));
  if (!date || !time || !zone) return std::nullopt;
  return ImapDateTime{toTime(*date, *time, *zone), *zone};
}

std::string formatImapDateTime(std::time_t t, int offsetMinutes) {
  const std::int64_t local = static_cast<std::int64_t>(t) + static_cast<std::int64_t>(offsetMinutes) * 60;
  std::int64_t days = local / 86400;
  std::int64_t secs = local % 86400;
  if (secs < 0) {
    secs += 86400;
    --days;
  }
  const CivilDate d = civilFromDays(days);
  const int absOffset = offsetMinutes < 0 ? -offsetMinutes : offsetMinutes;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%2d-%s-%04d %02d:%02d:%02d %c%02d%02d", d.day, kMonths[d.month - 1], d.year,
                static_cast<int>(secs / 3600), static_cast<int>(secs / 60 % 60), static_cast<int>(secs % 60),
                offsetMinutes < 0 ? '-' : '+', absOffset / 60 % 100, absOffset % 60);
  return buf;
}

std::optional<MessageDate> parseMessageDate(std::string_view text) {
  std::string storage;
  std::vector<std::string_view> tok = dateTokens(text, storage);
  std::size_t i = 0;
  if (i < tok.size() && isWeekday(tok[i])) ++i;
  // "1-Jan-2000 00:00:00 -0000", IMAP's date written into a header by
  // some agents: the same as "1 Jan 2000".
  if (i < tok.size() && !tok[i].empty() && tok[i][0] >= '0' && tok[i][0] <= '9') {
    const std::string_view t = tok[i];
    const std::size_t d1 = t.find('-');
    const std::size_t d2 = d1 == std::string_view::npos ? d1 : t.find('-', d1 + 1);
    if (d2 != std::string_view::npos && t.find('-', d2 + 1) == std::string_view::npos) {
      const std::string_view parts[3] = {t.substr(0, d1), t.substr(d1 + 1, d2 - d1 - 1), t.substr(d2 + 1)};
      tok.erase(tok.begin() + static_cast<std::ptrdiff_t>(i));
      tok.insert(tok.begin() + static_cast<std::ptrdiff_t>(i), std::begin(parts), std::end(parts));
    }
  }
  if (i + 3 > tok.size()) return std::nullopt;
  std::optional<int> day;
  int month = 0;
  // "1 Feb 1994", and the inverted "Feb 1 1994" some agents write.
  if ((day = number(tok[i], 1, 2))) {
    month = monthToken(tok[i + 1]);
  } else if ((month = monthToken(tok[i]))) {
    day = number(tok[i + 1], 1, 2);
  }
  if (!day || month == 0) return std::nullopt;
  i += 2;
  auto year = number(tok[i], 2, 4);
  std::optional<TimeOfDay> time;
  if (!year) return std::nullopt;
  ++i;
  if (tok[i - 1].size() == 2) {
    *year += *year < 50 ? 2000 : 1900;
  } else if (tok[i - 1].size() == 3) {
    *year += 1900;
  }
  if (i < tok.size()) {
    time = parseTime(tok[i], true);
    if (!time) return std::nullopt;
    ++i;
  } else {
    time = TimeOfDay{};  // no time at all: midnight
  }
  int offset = 0;
  if (i < tok.size()) {
    std::optional<int> zone = numericZone(tok[i]);
    if (!zone) zone = namedZone(tok[i]);
    if (!zone) return std::nullopt;
    offset = *zone;
  }
  MessageDate out;
  out.date = CivilDate{*year, month, *day};
  if (!validCivilDate(out.date)) return std::nullopt;
  out.offsetMinutes = offset;
  out.time = toTime(out.date, *time, offset);
  return out;
}

}  // namespace posthorn::imapd
