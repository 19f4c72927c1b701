// dovecot_keywords - reading and rewriting dovecot-keywords
#include "lib/mailbox/dovecot_keywords.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>

#include "lib/mailbox/mailbox_error.h"
#include "lib/mailbox/mailbox_io.h"

namespace posthorn::mailbox {

DovecotKeywords DovecotKeywords::parse(std::string_view text) {
  DovecotKeywords k;
  while (!text.empty()) {
    const auto eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    const auto space = line.find(' ');
    if (space == std::string_view::npos || space + 1 >= line.size()) continue;
    int index = -1;
    const auto r = std::from_chars(line.data(), line.data() + space, index);
    if (r.ec != std::errc() || r.ptr != line.data() + space || index < 0 || index >= kLetters) continue;
    k.names_[static_cast<std::size_t>(index)] = std::string(line.substr(space + 1));
  }
  return k;
}

DovecotKeywords DovecotKeywords::load(const std::string& folderDir) {
  const std::string path = folderDir + "/dovecot-keywords";
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return DovecotKeywords();
    throwMailboxError("cannot open", path, errno);
  }
  return parse(readAll(fd.get(), path));
}

std::optional<char> DovecotKeywords::letter(const std::string& keyword) const {
  for (int i = 0; i < kLetters; ++i) {
    if (!names_[static_cast<std::size_t>(i)].empty() && names_[static_cast<std::size_t>(i)] == keyword)
      return static_cast<char>('a' + i);
  }
  return std::nullopt;
}

const std::string* DovecotKeywords::keyword(char letter) const {
  if (letter < 'a' || letter > 'z') return nullptr;
  const std::string& s = names_[static_cast<std::size_t>(letter - 'a')];
  return s.empty() ? nullptr : &s;
}

std::optional<char> DovecotKeywords::assign(const std::string& keyword) {
  if (auto l = letter(keyword)) return l;
  for (int i = 0; i < kLetters; ++i) {
    if (names_[static_cast<std::size_t>(i)].empty()) {
      names_[static_cast<std::size_t>(i)] = keyword;
      changed_ = true;
      return static_cast<char>('a' + i);
    }
  }
  return std::nullopt;
}

std::string DovecotKeywords::format() const {
  std::string out;
  for (int i = 0; i < kLetters; ++i) {
    if (!names_[static_cast<std::size_t>(i)].empty())
      out += std::to_string(i) + " " + names_[static_cast<std::size_t>(i)] + "\n";
  }
  return out;
}

void DovecotKeywords::save(const std::string& folderDir) {
  if (!changed_) return;
  const std::string path = folderDir + "/dovecot-keywords";
  const std::string tmp = folderDir + "/dovecot-keywords.posthorn-tmp";
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) throwMailboxError("cannot create", tmp, errno);
  UnlinkGuard guard(tmp);
  const std::string text = format();
  writeAll(fd.get(), text.data(), text.size(), tmp);
  fsyncFd(fd.get(), tmp);
  fd.close(tmp);
  if (::rename(tmp.c_str(), path.c_str()) != 0) throwMailboxError("cannot rename " + tmp + " to", path, errno);
  guard.dismiss();
  changed_ = false;
}

MessageFlags DovecotKeywords::flagsFromName(std::string_view name) const {
  MessageFlags f;
  const std::string_view letters = maildirFlagLetters(name);
  f.system = systemFlagsFromLetters(letters);
  for (const char c : letters) {
    if (const std::string* k = keyword(c)) f.addKeyword(*k);
  }
  return f;
}

std::string DovecotKeywords::lettersFor(const MessageFlags& flags) {
  std::string out = systemFlagLetters(flags.system);
  std::string kw;
  for (const auto& k : flags.keywords) {
    if (auto l = assign(k)) kw += *l;
  }
  std::sort(kw.begin(), kw.end());
  return out + kw;
}

}  // namespace posthorn::mailbox
