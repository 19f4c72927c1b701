// imap_search_result_test - SEARCH / ESEARCH response lines, compact
// sequence sets and what SEARCHRES saves
#include <gtest/gtest.h>

#include "imapd/search_result.h"

namespace posthorn::imapd {
namespace {

SearchReturn opts(bool min, bool max, bool count, bool all, bool save) {
  SearchReturn r;
  r.min = min;
  r.max = max;
  r.count = count;
  r.all = all;
  r.save = save;
  return r;
}

TEST(SearchResultTest, CompactSequenceSet) {
  EXPECT_EQ(compactSequenceSet({}), "");
  EXPECT_EQ(compactSequenceSet({7}), "7");
  EXPECT_EQ(compactSequenceSet({1, 2, 3, 5}), "1:3,5");
  EXPECT_EQ(compactSequenceSet({1, 3, 4, 6, 7, 8, 4294967295u}), "1,3:4,6:8,4294967295");
  EXPECT_EQ(compactSequenceSet({4294967294u, 4294967295u}), "4294967294:4294967295");
}

TEST(SearchResultTest, SearchLine) {
  EXPECT_EQ(searchResponse({}), "* SEARCH\r\n");
  EXPECT_EQ(searchResponse({2, 5, 9}), "* SEARCH 2 5 9\r\n");
  EXPECT_EQ(searchResponse({2, 5}, 917162500), "* SEARCH 2 5 (MODSEQ 917162500)\r\n");
  EXPECT_EQ(searchResponse({}, 917162500), "* SEARCH\r\n");
}

TEST(SearchResultTest, EsearchLine) {
  const std::vector<std::uint32_t> hits = {2, 3, 4, 10};
  EXPECT_EQ(esearchResponse("A282", false, opts(true, false, true, false, false), hits),
            "* ESEARCH (TAG \"A282\") MIN 2 COUNT 4\r\n");
  EXPECT_EQ(esearchResponse("A283", true, opts(true, true, true, true, false), hits, 77),
            "* ESEARCH (TAG \"A283\") UID MIN 2 MAX 10 COUNT 4 ALL 2:4,10 MODSEQ 77\r\n");
  EXPECT_EQ(esearchResponse("A284", false, opts(true, true, true, true, false), {}, 77),
            "* ESEARCH (TAG \"A284\") COUNT 0\r\n");
  EXPECT_EQ(esearchResponse("A285", true, opts(false, true, false, false, false), {}),
            "* ESEARCH (TAG \"A285\") UID\r\n");
  // SAVE alone: no ESEARCH at all; with another option: that option's answer.
  EXPECT_EQ(esearchResponse("A286", false, opts(false, false, false, false, true), hits), "");
  EXPECT_EQ(esearchResponse("A287", false, opts(false, false, true, false, true), hits),
            "* ESEARCH (TAG \"A287\") COUNT 4\r\n");
}

TEST(SearchResultTest, EsearchFromParsedReturn) {
  std::vector<ImapValue> args(3);
  args[0].text = "RETURN";
  args[1].kind = ImapValue::Kind::List;
  args[2].text = "ALL";
  const SearchParseResult r = parseSearch(args, 0);
  ASSERT_TRUE(r.key) << r.error;
  ASSERT_TRUE(r.returnOptions);
  EXPECT_EQ(esearchResponse("T", false, *r.returnOptions, {1, 2}), "* ESEARCH (TAG \"T\") ALL 1:2\r\n");
}

TEST(SearchResultTest, SavedResult) {
  const std::vector<std::uint32_t> hits = {2, 3, 4, 10};
  EXPECT_EQ(savedResult(opts(false, false, false, false, true), hits), hits);
  EXPECT_EQ(savedResult(opts(false, false, true, true, true), hits), hits);
  EXPECT_EQ(savedResult(opts(true, false, false, false, true), hits), (std::vector<std::uint32_t>{2}));
  EXPECT_EQ(savedResult(opts(false, true, false, false, true), hits), (std::vector<std::uint32_t>{10}));
  EXPECT_EQ(savedResult(opts(true, true, true, false, true), hits), (std::vector<std::uint32_t>{2, 10}));
  EXPECT_EQ(savedResult(opts(true, true, false, false, true), {5}), (std::vector<std::uint32_t>{5}));
  EXPECT_TRUE(savedResult(opts(true, false, false, false, true), {}).empty());
}

}  // namespace
}  // namespace posthorn::imapd
