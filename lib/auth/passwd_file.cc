// passwd_file - parses and formats Dovecot passwd-file lines (see passwd_file.h)
#include "lib/auth/passwd_file.h"
#include "lib/util/ascii.h"

#include <map>

namespace posthorn::auth {

namespace {

bool isBlank(char c) { return c == ' ' || c == '\t'; }
bool isControl(char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (isBlank(s.front()) || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (isBlank(s.back()) || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

// A uid or gid field: empty, a decimal number that fits uid_t (below
// 2^32-1, which means "no id"), or a user/group name.
void checkId(std::string_view what, std::string_view value) {
  if (value.empty()) return;
  if (value[0] >= '0' && value[0] <= '9') {
    unsigned long long n = 0;
    for (char c : value) {
      if (c < '0' || c > '9' || n > 0xfffffffeull) {
        throw PasswdLineError(std::string(what) + " " + quoted(value) +
                              " is not a number below 4294967295 or a name");
      }
      n = n * 10 + static_cast<unsigned>(c - '0');
    }
    if (n > 0xfffffffeull) {
      throw PasswdLineError(std::string(what) + " " + quoted(value) + " is too large");
    }
    return;
  }
  for (char c : value) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
    if (!ok) {
      throw PasswdLineError(std::string(what) + " " + quoted(value) +
                            " is neither a number nor a valid name");
    }
  }
}

void checkField(std::string_view what, std::string_view value, bool colonAllowed) {
  for (char c : value) {
    if (isControl(c)) {
      throw PasswdLineError(std::string(what) + " contains a control character");
    }
    if (c == ':' && !colonAllowed) throw PasswdLineError(std::string(what) + " contains a colon");
  }
}

}  // namespace

std::string foldUser(std::string_view user) { return util::lower(user); }

const std::string* PasswdEntry::extra(std::string_view name) const {
  for (const auto& [n, v] : extraFields) {
    if (n == name) return &v;
  }
  return nullptr;
}

const std::string* PasswdEntry::userdbField(std::string_view name) const {
  return extra("userdb_" + std::string(name));
}

void PasswdEntry::setExtra(std::string_view name, const std::string* value) {
  for (auto it = extraFields.begin(); it != extraFields.end(); ++it) {
    if (it->first != name) continue;
    if (value == nullptr) {
      extraFields.erase(it);
    } else {
      it->second = *value;
    }
    return;
  }
  if (value != nullptr) extraFields.emplace_back(std::string(name), *value);
}

bool isPasswdCommentOrBlank(std::string_view line) {
  line = trim(line);
  return line.empty() || line.front() == '#';
}

std::string passwdLineKey(std::string_view line) {
  if (isPasswdCommentOrBlank(line)) return "";
  line = trim(line);
  return foldUser(trim(line.substr(0, line.find(':'))));
}

void checkPasswdUser(std::string_view user) {
  if (user.empty()) throw PasswdLineError("the user name is empty");
  for (char c : user) {
    if (c == ':') throw PasswdLineError("user " + quoted(user) + " contains a colon");
    if (isBlank(c) || isControl(c)) {
      throw PasswdLineError("user name contains white space or a control character");
    }
  }
  if (user.front() == '#') throw PasswdLineError("user " + quoted(user) + " starts with #");
  if (user.front() == '@' || user.back() == '@') {
    throw PasswdLineError("user " + quoted(user) + " has an empty local part or domain");
  }
}

PasswdEntry parsePasswdLine(std::string_view line) {
  line = trim(line);
  // The first seven fields end at a colon; whatever follows the seventh
  // colon is the extra fields, whose values may contain colons.
  std::vector<std::string_view> fields;
  std::string_view rest = line;
  bool haveExtra = false;
  while (fields.size() < 7) {
    const auto colon = rest.find(':');
    if (colon == std::string_view::npos) {
      fields.push_back(rest);
      rest = {};
      break;
    }
    fields.push_back(rest.substr(0, colon));
    rest.remove_prefix(colon + 1);
    haveExtra = fields.size() == 7;
  }
  PasswdEntry e;
  e.user = std::string(trim(fields[0]));
  checkPasswdUser(e.user);
  auto field = [&](std::size_t i) {
    return i < fields.size() ? std::string(fields[i]) : std::string();
  };
  e.password = field(1);
  e.uid = std::string(trim(field(2)));
  e.gid = std::string(trim(field(3)));
  e.gecos = field(4);
  e.home = std::string(trim(field(5)));
  e.shell = field(6);
  checkField("the password", e.password, false);
  checkField("the gecos field", e.gecos, false);
  checkId("uid", e.uid);
  checkId("gid", e.gid);
  if (!e.home.empty() && e.home.front() != '/') {
    throw PasswdLineError("home " + quoted(e.home) + " is not an absolute path");
  }
  if (haveExtra) {
    checkField("the extra fields", rest, true);
    std::size_t pos = 0;
    while (pos < rest.size()) {
      while (pos < rest.size() && isBlank(rest[pos])) ++pos;
      std::size_t end = pos;
      while (end < rest.size() && !isBlank(rest[end])) ++end;
      if (end == pos) break;
      const std::string_view item = rest.substr(pos, end - pos);
      const auto eq = item.find('=');
      const std::string_view name = item.substr(0, eq);
      if (name.empty()) {
        throw PasswdLineError("extra field " + quoted(item) + " has no name");
      }
      e.extraFields.emplace_back(
          std::string(name),
          eq == std::string_view::npos ? std::string() : std::string(item.substr(eq + 1)));
      pos = end;
    }
  }
  return e;
}

std::string formatPasswdLine(const PasswdEntry& e) {
  checkPasswdUser(e.user);
  checkField("the password", e.password, false);
  checkField("the gecos field", e.gecos, false);
  checkField("the shell field", e.shell, false);
  checkField("the home directory", e.home, false);
  checkId("uid", e.uid);
  checkId("gid", e.gid);
  std::string extra;
  for (const auto& [name, value] : e.extraFields) {
    if (name.empty() || name.find('=') != std::string::npos) {
      throw PasswdLineError("extra field name " + quoted(name) + " is not valid");
    }
    checkField("extra field " + name, name + value, true);
    for (char c : name + value) {
      if (isBlank(c)) throw PasswdLineError("extra field " + name + " contains white space");
    }
    if (!extra.empty()) extra += ' ';
    extra += name;
    if (!value.empty()) extra += "=" + value;
  }
  std::vector<std::string> fields = {e.user, e.password, e.uid,  e.gid,
                                     e.gecos, e.home,    e.shell, extra};
  while (fields.size() > 2 && fields.back().empty()) fields.pop_back();
  std::string line;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i != 0) line += ':';
    line += fields[i];
  }
  return line;
}

PasswdFile parsePasswdFile(std::string_view text, const std::string& file) {
  PasswdFile out;
  out.file = file;
  std::map<std::string, int> firstLine;  // folded user -> line
  int lineNo = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto nl = text.find('\n', pos);
    const std::string_view line =
        text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++lineNo;
    if (isPasswdCommentOrBlank(line)) continue;
    const std::string where = file + ":" + std::to_string(lineNo) + ": ";
    const std::string key = passwdLineKey(line);
    if (!key.empty()) {
      const auto [it, fresh] = firstLine.emplace(key, lineNo);
      if (!fresh) {
        out.errors.push_back(where + "duplicate user " + quoted(key) + " (first at line " +
                             std::to_string(it->second) + "); this line is ignored");
        continue;
      }
    }
    try {
      PasswdEntry e = parsePasswdLine(line);
      e.line = lineNo;
      out.entries.push_back(std::move(e));
    } catch (const PasswdLineError& e) {
      out.errors.push_back(where + e.what());
      if (!key.empty()) {
        try {
          checkPasswdUser(trim(trim(line).substr(0, trim(line).find(':'))));
          out.brokenUsers.emplace_back(key, out.errors.back());
        } catch (const PasswdLineError&) {
          // No usable user name: nobody to mark.
        }
      }
    }
  }
  return out;
}

}  // namespace posthorn::auth
