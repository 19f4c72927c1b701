// imap_date_test - civil-date arithmetic, IMAP date / date-time parsing and
// formatting, RFC 5322 Date: parsing (obsolete forms), SEARCH case folding
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "imapd/imap_date.h"
#include "imapd/search_fold.h"

namespace posthorn::imapd {
namespace {

TEST(CivilDateTest, KnownDays) {
  EXPECT_EQ(daysFromCivil({1970, 1, 1}), 0);
  EXPECT_EQ(daysFromCivil({1969, 12, 31}), -1);
  EXPECT_EQ(daysFromCivil({2000, 3, 1}), 11017);
  EXPECT_EQ(daysFromCivil({1996, 7, 17}), 9694);
  EXPECT_EQ(civilFromDays(11016), (CivilDate{2000, 2, 29}));
  EXPECT_EQ(civilFromDays(-1), (CivilDate{1969, 12, 31}));
}

TEST(CivilDateTest, RoundTripOverCenturies) {
  std::int64_t prev = daysFromCivil({1599, 12, 31});
  for (std::int64_t d = -150000; d <= 150000; d += 7) {
    const CivilDate c = civilFromDays(d);
    ASSERT_TRUE(validCivilDate(c)) << d;
    ASSERT_EQ(daysFromCivil(c), d);
  }
  for (int y = 1600; y <= 2400; ++y) {
    for (int m = 1; m <= 12; ++m) {
      const std::int64_t d = daysFromCivil({y, m, 1});
      ASSERT_GT(d, prev);
      prev = d;
    }
  }
}

TEST(CivilDateTest, Validity) {
  EXPECT_TRUE(validCivilDate({2000, 2, 29}));
  EXPECT_FALSE(validCivilDate({1900, 2, 29}));
  EXPECT_TRUE(validCivilDate({2024, 2, 29}));
  EXPECT_FALSE(validCivilDate({2023, 2, 29}));
  EXPECT_FALSE(validCivilDate({2023, 4, 31}));
  EXPECT_FALSE(validCivilDate({2023, 13, 1}));
  EXPECT_FALSE(validCivilDate({2023, 0, 1}));
  EXPECT_FALSE(validCivilDate({2023, 1, 0}));
}

TEST(CivilDateTest, DateAtZone) {
  // 1996-07-17 09:44:25 UTC.
  const std::time_t t = 837596665;
  EXPECT_EQ(civilDateAt(t, 0), (CivilDate{1996, 7, 17}));
  EXPECT_EQ(civilDateAt(t, -600), (CivilDate{1996, 7, 16}));  // 23:44 the day before
  EXPECT_EQ(civilDateAt(t, 900), (CivilDate{1996, 7, 18}));   // 00:44 the day after
  EXPECT_EQ(civilDateAt(-1, 0), (CivilDate{1969, 12, 31}));
}

TEST(ImapDateTest, Parses) {
  EXPECT_EQ(parseImapDate("1-Feb-1994"), (CivilDate{1994, 2, 1}));
  EXPECT_EQ(parseImapDate("01-feb-1994"), (CivilDate{1994, 2, 1}));
  EXPECT_EQ(parseImapDate("29-FEB-2000"), (CivilDate{2000, 2, 29}));
  EXPECT_EQ(parseImapDate("31-Dec-2099"), (CivilDate{2099, 12, 31}));
}

TEST(ImapDateTest, RefusesBadDates) {
  for (const char* bad : {"", "1-Feb", "1-Feb-94", "1-Febr-1994", "1-Xyz-1994", "123-Feb-1994", "0-Feb-1994",
                          "30-Feb-1994", "1 Feb 1994", "1-Feb-1994 ", "a-Feb-1994", "1-Feb-19a4", "-1-Feb-1994",
                          "1--Feb-1994", "29-Feb-1900"}) {
    EXPECT_FALSE(parseImapDate(bad)) << bad;
  }
}

TEST(ImapDateTimeTest, Parses) {
  auto dt = parseImapDateTime("17-Jul-1996 02:44:25 -0700");
  ASSERT_TRUE(dt);
  EXPECT_EQ(dt->time, 837596665);
  EXPECT_EQ(dt->offsetMinutes, -420);
  dt = parseImapDateTime(" 7-Jul-1996 02:44:25 +0130");
  ASSERT_TRUE(dt);
  EXPECT_EQ(dt->time, 836707465 - 90 * 60);
  EXPECT_EQ(dt->offsetMinutes, 90);
  dt = parseImapDateTime("7-Jul-1996 02:44:25 +0000");
  ASSERT_TRUE(dt);
  EXPECT_EQ(dt->time, 836707465);
}

TEST(ImapDateTimeTest, RefusesBadDateTimes) {
  for (const char* bad : {"", "17-Jul-1996", "17-Jul-1996 02:44:25", "17-Jul-1996 02:44 -0700",
                          "17-Jul-1996 24:00:00 -0700", "17-Jul-1996 02:60:00 -0700", "17-Jul-1996 02:44:25 -07",
                          "17-Jul-1996 02:44:25 0700", "17-Jul-1996 02:44:25 -0760", "17-Jul-1996 2:44:25 -0700",
                          "17-Jul-1996  02:44:25 -0700", "  7-Jul-1996 02:44:25 -0700", "31-Jun-1996 02:44:25 +0000"}) {
    EXPECT_FALSE(parseImapDateTime(bad)) << bad;
  }
}

TEST(ImapDateTimeTest, Formats) {
  EXPECT_EQ(formatImapDateTime(837596665, -420), "17-Jul-1996 02:44:25 -0700");
  EXPECT_EQ(formatImapDateTime(836707465, 0), " 7-Jul-1996 02:44:25 +0000");
  EXPECT_EQ(formatImapDateTime(836707465, 330), " 7-Jul-1996 08:14:25 +0530");
  EXPECT_EQ(formatImapDateTime(0, -60), "31-Dec-1969 23:00:00 -0100");
}

TEST(ImapDateTimeTest, FormatParseRoundTrip) {
  for (std::time_t t = 0; t < 4000000000; t += 12345677) {
    for (const int off : {-720, -420, 0, 60, 330, 840}) {
      const auto dt = parseImapDateTime(formatImapDateTime(t, off));
      ASSERT_TRUE(dt) << formatImapDateTime(t, off);
      ASSERT_EQ(dt->time, t);
      ASSERT_EQ(dt->offsetMinutes, off);
    }
  }
}

TEST(ImapDateTimeTest, IgnoresProcessTimeZone) {
  const char* old = std::getenv("TZ");
  const std::string saved = old ? old : "";
  setenv("TZ", "America/Los_Angeles", 1);
  tzset();
  EXPECT_EQ(formatImapDateTime(837596665, 0), "17-Jul-1996 09:44:25 +0000");
  EXPECT_EQ(parseImapDateTime("17-Jul-1996 09:44:25 +0000")->time, 837596665);
  if (old) {
    setenv("TZ", saved.c_str(), 1);
  } else {
    unsetenv("TZ");
  }
  tzset();
}

TEST(Rfc5322DateTest, ModernForm) {
  const auto d = parseMessageDate("Wed, 17 Jul 1996 02:44:25 -0700");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->time, 837596665);
  EXPECT_EQ(d->offsetMinutes, -420);
  EXPECT_EQ(d->date, (CivilDate{1996, 7, 17}));
}

TEST(Rfc5322DateTest, DateIsTheWrittenLocalDate) {
  // 23:30 at -0500 is already the next day in UTC; SENT* want the written date.
  const auto d = parseMessageDate("Mon, 31 Dec 2001 23:30:00 -0500");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->date, (CivilDate{2001, 12, 31}));
  EXPECT_EQ(civilDateAt(d->time, 0), (CivilDate{2002, 1, 1}));
}

TEST(Rfc5322DateTest, ObsoleteForms) {
  struct Case {
    const char* text;
    std::time_t time;
    int offset;
  };
  const Case cases[] = {
      {"17 Jul 1996 02:44:25 -0700", 837596665, -420},              // no day of week
      {"Wed, 17 Jul 96 02:44:25 -0700", 837596665, -420},           // 2-digit year, 19xx
      {"Wed, 17 Jul 096 02:44:25 -0700", 837596665, -420},          // 3-digit year
      {"Wed, 17 Jul 1996 02:44 -0700", 837596665 - 25, -420},       // no seconds
      {"Wed, 17 Jul 1996 09:44:25 GMT", 837596665, 0},
      {"Wed, 17 Jul 1996 09:44:25 UT", 837596665, 0},
      {"Wed, 17 Jul 1996 04:44:25 EST", 837596665, -300},
      {"Wed, 17 Jul 1996 05:44:25 EDT", 837596665, -240},
      {"Wed, 17 Jul 1996 03:44:25 CST", 837596665, -360},
      {"Wed, 17 Jul 1996 04:44:25 CDT", 837596665, -300},
      {"Wed, 17 Jul 1996 02:44:25 MST", 837596665, -420},
      {"Wed, 17 Jul 1996 03:44:25 MDT", 837596665, -360},
      {"Wed, 17 Jul 1996 01:44:25 PST", 837596665, -480},
      {"Wed, 17 Jul 1996 02:44:25 pdt", 837596665, -420},
      {"Wed, 17 Jul 1996 09:44:25 Q", 837596665, 0},                // military: -0000
      {"Wed, 17 Jul 1996 09:44:25", 837596665, 0},                  // no zone
      {"Wed (the day), 17 (x (nested)) Jul 1996 02:44:25 -0700 (PDT)", 837596665, -420},
      {"  Wed,17 Jul 1996   02:44:25\t-0700  ", 837596665, -420},
      {"Wednesday, 17 July 1996 02:44:25 -0700", 837596665, -420},
      {"Wed, Jul 17 1996 02:44:25 -0700", 837596665, -420},
      {"Wed, 17 Jul 1996 02:44:60 -0700", 837596665 + 34, -420},    // leap second
  };
  for (const Case& c : cases) {
    const auto d = parseMessageDate(c.text);
    ASSERT_TRUE(d) << c.text;
    EXPECT_EQ(d->time, c.time) << c.text;
    EXPECT_EQ(d->offsetMinutes, c.offset) << c.text;
  }
  EXPECT_EQ(parseMessageDate("1 Jan 49 00:00:00 +0000")->date.year, 2049);
  EXPECT_EQ(parseMessageDate("1 Jan 50 00:00:00 +0000")->date.year, 1950);
  EXPECT_EQ(parseMessageDate("1 Jan 103 00:00:00 +0000")->date.year, 2003);
}

TEST(Rfc5322DateTest, RefusesGarbage) {
  for (const char* bad : {"", "yesterday", "Wed, 17 Jul", "Wed, 32 Jul 1996 02:44:25 -0700",
                          "Wed, 17 Foo 1996 02:44:25 -0700", "Wed, 17 Jul 1996 25:44:25 -0700",
                          "Wed, 17 Jul 1996 02:44:25 +07:00", "Wed, 17 Jul 1996 xx -0700",
                          "Wed, 17 Jul 1 02:44:25 -0700", "Wed, 29 Feb 1997 02:44:25 -0700", "(((", "17 Jul 1996 02:44:25 -07x0"}) {
    EXPECT_FALSE(parseMessageDate(bad)) << bad;
  }
}

std::optional<std::time_t> parseRfc5322Date(std::string_view text) {
  const auto d = parseMessageDate(text);
  return d ? std::optional<std::time_t>(d->time) : std::nullopt;
}

TEST(DateTest, CivilDays) {
  EXPECT_EQ(daysFromCivil(CivilDate{1970, 1, 1}), 0);
  EXPECT_EQ(daysFromCivil(CivilDate{2000, 3, 1}), 11017);
  EXPECT_EQ(daysFromCivil(CivilDate{1969, 12, 31}), -1);
  EXPECT_EQ(parseRfc5322Date("Sat, 1 Jan 2000 00:00:00 +0000 (UTC)"), 946684800);
  EXPECT_EQ(parseRfc5322Date("1-Jan-2000 00:00:00 -0000"), 946684800);
  EXPECT_EQ(parseRfc5322Date("1 Jan 2000 00:00:00 X"), 946684800);  // military letter: +0000
  EXPECT_EQ(parseRfc5322Date("1 Jan 2000 00:00:00"), 946684800);    // no zone
  EXPECT_FALSE(parseRfc5322Date(""));
  EXPECT_FALSE(parseRfc5322Date("1 Jan"));
  EXPECT_EQ(parseRfc5322Date("1 Jan 2000"), 946684800);  // no time: midnight (SENTON still works)
  EXPECT_FALSE(parseRfc5322Date("1 Jan 2000 00"));
  EXPECT_FALSE(parseRfc5322Date("99999999999 Jan 2000 00:00"));
}

TEST(SearchFoldTest, Ascii) {
  EXPECT_EQ(foldCase("Hello WORLD 123 [\\]^_`{}"), "hello world 123 [\\]^_`{}");
}

TEST(SearchFoldTest, LatinGreekCyrillic) {
  EXPECT_EQ(foldCase("ÀÉÎÕÜÞ"), "àéîõüþ");
  EXPECT_EQ(foldCase("×÷ß"), "×÷ß");             // not letters / no simple folding
  EXPECT_EQ(foldCase("ĀĂĄĆŁŃŒŠŽŸ"), "āăąćłńœšžÿ");
  EXPECT_EQ(foldCase("ſ"), "s");
  EXPECT_EQ(foldCase("µ"), "μ");
  EXPECT_EQ(foldCase("ΑΒΓΔΣΩ ΆΈΌΏ"), "αβγδσω άέόώ");
  EXPECT_EQ(foldCase("ς"), "σ");
  EXPECT_EQ(foldCase("ПРИВЕТ ЁЖИК Ѣ Ґ"), "привет ёжик ѣ ґ");
  EXPECT_EQ(foldCase("привет"), "привет");
  EXPECT_EQ(foldCase("日本語 😀"), "日本語 😀");
}

TEST(SearchFoldTest, InvalidUtf8PassesThrough) {
  const std::string bad = std::string("A\xC3") + "B\xFF\xC0\xAF" + "C";
  EXPECT_EQ(foldCase(bad), std::string("a\xC3") + "b\xFF\xC0\xAF" + "c");
}

TEST(SearchFoldTest, FoldedSubstring) {
  EXPECT_TRUE(containsFolded(foldCase("Re: Ärger mit ΣΟΦΊΑ"), foldCase("ärger MIT σοφία")));
  EXPECT_TRUE(containsFolded("abc", ""));
  EXPECT_FALSE(containsFolded(foldCase("abc"), foldCase("abd")));
}

}  // namespace
}  // namespace posthorn::imapd
