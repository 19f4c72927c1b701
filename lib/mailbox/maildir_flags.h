// maildir_flags - message flags and how a Maildir file name carries them
//
// A Maildir name is "<base>:2,<letters>": the base (Dovecot's
// "<unique>,S=<size>,W=<vsize>") never changes, the letters after ":2,"
// are the flags in ASCII order: the system flags D(raft) F(lagged)
// P(assed) R(eplied = \Answered) S(een) T(rashed = \Deleted), then
// keywords as lowercase letters a..z whose meaning is in the folder's
// dovecot-keywords file (letter a = index 0). A name in new/ usually has
// no ":2," part at all.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace posthorn::mailbox {

enum SystemFlag : std::uint8_t {
  kFlagDraft = 1,
  kFlagFlagged = 2,
  kFlagPassed = 4,
  kFlagAnswered = 8,
  kFlagSeen = 16,
  kFlagDeleted = 32,
};

struct MessageFlags {
  std::uint8_t system = 0;
  std::vector<std::string> keywords;  // sorted, unique, as the client spelled them

  bool has(SystemFlag f) const { return (system & f) != 0; }
  void addKeyword(const std::string& k);
  void removeKeyword(const std::string& k);
  bool hasKeyword(const std::string& k) const;
  bool operator==(const MessageFlags&) const = default;
};

// The system-flag letters in order ("FS"); and back (unknown letters ignored).
std::string systemFlagLetters(std::uint8_t system);
std::uint8_t systemFlagsFromLetters(std::string_view letters);

// IMAP names: "\\Seen \\Flagged $Forwarded".
std::string flagsToImap(const MessageFlags& flags);

// The base of a Maildir file name: everything before the first ':'.
std::string_view maildirBase(std::string_view name);
// The letters after ":2," ("" when the name has no such part).
std::string_view maildirFlagLetters(std::string_view name);

}  // namespace posthorn::mailbox
