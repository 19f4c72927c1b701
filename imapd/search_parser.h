// search_parser - SEARCH arguments (the ImapValue tree) to a SearchKey tree:
// RFC 3501 6.4.4 keys, sequence sets, lists, MODSEQ (RFC 7162), a leading
// CHARSET and, before it, RETURN (...) (ESEARCH, RFC 4731; SAVE, RFC 5182).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "imapd/imap_command.h"
#include "imapd/search_key.h"

namespace posthorn::imapd {

// RETURN (MIN MAX COUNT ALL SAVE); "RETURN ()" means ALL.
struct SearchReturn {
  bool min = false;
  bool max = false;
  bool count = false;
  bool all = false;
  bool save = false;
};

struct SearchParseResult {
  std::unique_ptr<SearchKey> key;  // null on error
  std::string error;               // what was wrong, for "BAD <error>" / "NO"
  // The CHARSET is not one we search in: answer
  // NO [BADCHARSET (US-ASCII UTF-8)] <error>.
  bool badCharset = false;
  std::string charset;             // as given, empty when none
  std::optional<SearchReturn> returnOptions;  // set when RETURN (...) came
  bool usesModseq = false;         // a MODSEQ key: answer with (MODSEQ n)
};

// Parses args[start..] (all of them). Lists and NOT/OR each count one level
// of nesting; deeper than maxDepth is an error.
SearchParseResult parseSearch(const std::vector<ImapValue>& args, std::size_t start, std::size_t maxDepth = 32);

}  // namespace posthorn::imapd
