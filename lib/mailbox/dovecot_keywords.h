// dovecot_keywords - the folder's dovecot-keywords file: keyword <-> letter
//
// Each line is "<index> <keyword>"; index 0 is the letter 'a' in Maildir
// file names, 25 is 'z'. Dovecot and posthorn share the file, so a keyword
// set by one is understood by the other. A keyword beyond the 26 letters
// lives only in the index (as in Dovecot). The file is rewritten whole
// (temporary file, fsync, rename) by whoever holds the folder's index lock.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "lib/mailbox/maildir_flags.h"

namespace posthorn::mailbox {

class DovecotKeywords {
 public:
  static constexpr int kLetters = 26;

  // Reads folderDir/dovecot-keywords; a missing file is an empty mapping,
  // malformed lines are skipped.
  static DovecotKeywords load(const std::string& folderDir);
  static DovecotKeywords parse(std::string_view text);

  // The letter of a keyword, if it has one.
  std::optional<char> letter(const std::string& keyword) const;
  // The keyword of a letter 'a'..'z', if defined.
  const std::string* keyword(char letter) const;
  // Gives the keyword a letter (the lowest free one) and returns it;
  // nullopt when all 26 are taken. Marks the mapping changed.
  std::optional<char> assign(const std::string& keyword);
  bool changed() const { return changed_; }
  // Writes the file when changed().
  void save(const std::string& folderDir);
  std::string format() const;

  // Flags from a file name's letters (a letter without a keyword is ignored).
  MessageFlags flagsFromName(std::string_view name) const;
  // The letters for a file name; assigns letters to new keywords.
  std::string lettersFor(const MessageFlags& flags);

 private:
  std::array<std::string, kLetters> names_;
  bool changed_ = false;
};

}  // namespace posthorn::mailbox
