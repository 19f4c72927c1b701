// uid_import - reading dovecot-uidlist and courierimapuiddb
#include "lib/mailbox/uid_import.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <vector>

#include "lib/mailbox/mailbox_error.h"
#include "lib/mailbox/mailbox_io.h"

namespace posthorn::mailbox {
namespace {

bool parseU32(std::string_view s, std::uint32_t& out) {
  if (s.empty()) return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (pos < line.size()) {
    while (pos < line.size() && line[pos] == ' ') ++pos;
    if (pos >= line.size()) break;
    const auto sp = line.find(' ', pos);
    out.push_back(line.substr(pos, sp == std::string_view::npos ? std::string_view::npos : sp - pos));
    if (sp == std::string_view::npos) break;
    pos = sp;
  }
  return out;
}

std::vector<std::string_view> lines(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    const auto eol = text.find('\n');
    out.push_back(text.substr(0, eol));
    if (eol == std::string_view::npos) break;
    text.remove_prefix(eol + 1);
  }
  return out;
}

std::string baseOf(std::string_view name) { return std::string(name.substr(0, name.find(':'))); }

void add(ImportedUids& out, std::uint32_t uid, std::string_view name) {
  if (uid == 0 || name.empty() || name.find('/') != std::string_view::npos) return;
  out.byBase[baseOf(name)] = uid;
  out.uidNext = std::max(out.uidNext, uid + 1);
}

// Version 1 ("uid name") and Courier 2 ("name uid") bodies.
std::optional<ImportedUids> parseSimple(const std::vector<std::string_view>& ls, bool nameFirst) {
  const auto head = words(ls[0]);
  ImportedUids out;
  if (head.size() < 3 || !parseU32(head[1], out.uidValidity) || !parseU32(head[2], out.uidNext)) return std::nullopt;
  const std::uint32_t declaredNext = out.uidNext;
  out.uidNext = 1;
  for (std::size_t i = 1; i < ls.size(); ++i) {
    const auto w = words(ls[i]);
    if (w.size() < 2) continue;
    std::uint32_t uid = 0;
    if (!parseU32(nameFirst ? w[1] : w[0], uid)) continue;
    add(out, uid, nameFirst ? w[0] : w[1]);
  }
  out.uidNext = std::max(out.uidNext, declaredNext);
  return out;
}

std::optional<ImportedUids> readIfPresent(const std::string& path,
                                          std::optional<ImportedUids> (*parse)(std::string_view)) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return std::nullopt;
    throwMailboxError("cannot open", path, errno);
  }
  auto out = parse(readAll(fd.get(), path));
  if (out) out->source = path;
  return out;
}

}  // namespace

std::optional<ImportedUids> parseDovecotUidlist(std::string_view text) {
  const auto ls = lines(text);
  if (ls.empty()) return std::nullopt;
  const auto head = words(ls[0]);
  if (head.empty()) return std::nullopt;
  if (head[0] == "1") return parseSimple(ls, false);
  if (head[0] != "3") return std::nullopt;
  ImportedUids out;
  std::uint32_t declaredNext = 1;
  bool haveValidity = false;
  for (std::size_t i = 1; i < head.size(); ++i) {
    if (head[i].size() < 2) continue;
    if (head[i][0] == 'V') haveValidity = parseU32(head[i].substr(1), out.uidValidity);
    if (head[i][0] == 'N') parseU32(head[i].substr(1), declaredNext);
  }
  if (!haveValidity) return std::nullopt;
  for (std::size_t i = 1; i < ls.size(); ++i) {
    const std::string_view line = ls[i];
    const auto colon = line.find(" :");
    if (colon == std::string_view::npos) continue;
    const auto w = words(line.substr(0, colon));
    std::uint32_t uid = 0;
    if (w.empty() || !parseU32(w[0], uid)) continue;
    add(out, uid, line.substr(colon + 2));
  }
  out.uidNext = std::max(out.uidNext, declaredNext);
  return out;
}

std::optional<ImportedUids> parseCourierUiddb(std::string_view text) {
  const auto ls = lines(text);
  if (ls.empty()) return std::nullopt;
  const auto head = words(ls[0]);
  if (head.empty()) return std::nullopt;
  if (head[0] == "1") return parseSimple(ls, false);
  if (head[0] == "2") return parseSimple(ls, true);
  return std::nullopt;
}

std::optional<ImportedUids> importUids(const std::string& folderDir) {
  if (auto d = readIfPresent(folderDir + "/dovecot-uidlist", parseDovecotUidlist)) return d;
  return readIfPresent(folderDir + "/courierimapuiddb", parseCourierUiddb);
}

std::string pop3Uidl(std::uint32_t uid, std::uint32_t uidValidity) {
  char buf[32];
  // Dovecot's %X expands to lower-case hex (seen on the wire from its pop3).
  std::snprintf(buf, sizeof buf, "%08x%08x", uid, uidValidity);
  return buf;
}

}  // namespace posthorn::mailbox
