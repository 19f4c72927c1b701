// search_key - the parsed tree of an IMAP SEARCH (RFC 3501 6.4.4, RFC 7162
// MODSEQ). The parser reduces every key to a few node types: UNSEEN is
// Not(Flag Seen), NEW is And(Recent, Not(Flag Seen)), FROM x is Header
// "FROM" x, and so on.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "imapd/imap_command.h"
#include "imapd/imap_date.h"
#include "lib/mailbox/maildir_flags.h"

namespace posthorn::imapd {

struct SearchKey {
  enum class Type {
    All,          // ALL
    And,          // a key list, "(...)": every child
    Or,           // OR a b: two children
    Not,          // NOT a: one child
    Sequence,     // a sequence set of message numbers (set)
    Uid,          // UID set
    Flag,         // a system flag is set (flag)
    Keyword,      // the keyword (text) is set, case-insensitively
    Recent,       // \Recent
    Larger,       // RFC822.SIZE > number
    Smaller,      // RFC822.SIZE < number
    Before,       // internal date (server's zone) < date
    On,           // internal date == date
    Since,        // internal date >= date
    SentBefore,   // Date: header's own date < date
    SentOn,
    SentSince,
    Header,       // header field name contains text ("" = the field exists)
    Body,         // body text contains text
    Text,         // header or body text contains text
    Modseq,       // mod-sequence >= number
  };
  Type type = Type::All;
  std::vector<SearchKey> children;  // And, Or, Not
  SequenceSet set;                  // Sequence, Uid
  mailbox::SystemFlag flag = mailbox::kFlagSeen;
  std::string name;                 // Header: the field name
  std::string text;                 // Keyword; Header, Body, Text: the string, case-folded
  std::uint64_t number = 0;         // Larger, Smaller, Modseq
  CivilDate date;                   // Before ... SentSince

  static SearchKey of(Type t) {
    SearchKey k;
    k.type = t;
    return k;
  }
};

// Whether any key reads the message file (header, body or Date: field).
bool searchNeedsMessage(const SearchKey& key);
// Whether the search has a MODSEQ key (CONDSTORE: the response then ends
// with "(MODSEQ n)").
bool searchUsesModseq(const SearchKey& key);
// A readable form for tests and logs: "(AND (FLAG \Seen) (NOT (UID 1:*)))".
std::string describeSearch(const SearchKey& key);

}  // namespace posthorn::imapd
