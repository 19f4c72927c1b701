// uid_import - UIDs from another IMAP server's list: dovecot-uidlist, courierimapuiddb
//
// dovecot-uidlist (version 3): "3 V<uidvalidity> N<uidnext> G<guid> ...",
// then "<uid> [<ext>...] :<filename>" lines; version 1 (and Courier's
// courierimapuiddb): "1 <uidvalidity> <uidnext>", then "<uid> <filename>".
// Courier's version 2 lines are "<filename> <uid>". Only the base of each
// file name (before ':') is kept: flags change, the base does not.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace posthorn::mailbox {

struct ImportedUids {
  std::string source;  // the file read
  std::uint32_t uidValidity = 0;
  std::uint32_t uidNext = 1;
  std::unordered_map<std::string, std::uint32_t> byBase;
};

// nullopt when the text is not such a list (unknown version, bad header);
// malformed message lines are skipped.
std::optional<ImportedUids> parseDovecotUidlist(std::string_view text);
std::optional<ImportedUids> parseCourierUiddb(std::string_view text);

// Looks for dovecot-uidlist, then courierimapuiddb, in a folder directory.
std::optional<ImportedUids> importUids(const std::string& folderDir);

// The POP3 UIDL Dovecot gives by default (pop3_uidl_format = %08Xu%08Xv,
// which Dovecot prints in lower-case hex: "000000015a2b3c4d").
std::string pop3Uidl(std::uint32_t uid, std::uint32_t uidValidity);

}  // namespace posthorn::mailbox
