// imap_command - one parsed IMAP command: tag, name and an argument tree
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/util/ascii.h"

namespace posthorn::imapd {

// Where a big literal goes instead of memory (APPEND: a temp file).
class LiteralSink {
 public:
  virtual ~LiteralSink() = default;
  virtual void write(std::string_view bytes) = 0;
  // All announced bytes have been written.
  virtual void finish() = 0;
};

struct ImapValue {
  enum class Kind { Atom, Quoted, Literal, List };
  Kind kind = Kind::Atom;
  // Atom: its text ("FLAGS", "\\Seen", "1:*", "BODY.PEEK" of a fetch
  // attribute); Quoted: the unescaped string; Literal: its bytes (empty
  // when streamed to a sink).
  std::string text;
  std::vector<ImapValue> items;  // List: the elements; Atom with section: its contents
  // Atom only: "BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.100>" is text
  // "BODY.PEEK", hasSection, items {HEADER.FIELDS, (FROM TO)}, partial "0.100".
  bool hasSection = false;
  std::optional<std::string> partial;
  // Literal only.
  bool binary = false;           // literal8 ~{N}
  std::uint64_t size = 0;        // announced size
  std::shared_ptr<LiteralSink> sink;  // set when streamed

  bool isAtom() const { return kind == Kind::Atom && !hasSection; }
  // NIL (case-insensitive) as an atom; a quoted "NIL" is a string.
  bool isNil() const;
  // Atom, quoted string or in-memory literal: the string it stands for.
  bool isString() const;
};

struct ImapCommand {
  std::string tag;
  std::string name;  // upper case; "UID FETCH", "UID STORE"... joined
  std::vector<ImapValue> args;
};

// Atoms, section names and keywords compare without ASCII case.
using util::equalsIgnoreCase;

// A sequence set "1:*,3,5:7" or "$" (SEARCHRES). '*' is kStar.
struct SequenceSet {
  static constexpr std::uint32_t kStar = 0;
  struct Range {
    std::uint32_t first = 0;
    std::uint32_t last = 0;
  };
  bool saved = false;  // "$"
  std::vector<Range> ranges;
};
// nullopt for anything but RFC 3501 sequence-set (numbers 1..2^32-1) or "$".
std::optional<SequenceSet> parseSequenceSet(std::string_view text);

}  // namespace posthorn::imapd
