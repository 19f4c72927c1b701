// master_conf - parsing master.conf into ServiceEntry rows (see master_conf.h)
#include "lib/config/master_conf.h"

#include <arpa/inet.h>
#include <netdb.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "lib/config/config.h"

namespace posthorn::config {

namespace {

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && isSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && isSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool isNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

struct Token {
  std::string text;
  bool braced = false;  // written as { text }
};

class LineParser {
 public:
  LineParser(std::string file, int line) : file_(std::move(file)), line_(line) {}

  [[noreturn]] void fail(const std::string& why) const {
    throw ConfigError(file_ + ":" + std::to_string(line_) + ": " + why);
  }

  std::vector<Token> tokenize(std::string_view text) const {
    std::vector<Token> out;
    std::size_t i = 0;
    while (i < text.size()) {
      if (isSpace(text[i])) {
        ++i;
        continue;
      }
      if (text[i] == '{') {
        int depth = 0;
        std::size_t j = i;
        for (; j < text.size(); ++j) {
          if (text[j] == '{') ++depth;
          if (text[j] == '}' && --depth == 0) break;
        }
        if (j >= text.size()) fail("unmatched '{' in \"" + std::string(text.substr(i)) + "\"");
        out.push_back(Token{std::string(trim(text.substr(i + 1, j - i - 1))), true});
        i = j + 1;
        continue;
      }
      std::size_t j = i;
      while (j < text.size() && !isSpace(text[j])) ++j;
      out.push_back(Token{std::string(text.substr(i, j - i)), false});
      i = j;
    }
    return out;
  }

  bool yesNo(const std::string& field, const std::string& value, bool def) const {
    if (value == "-") return def;
    if (value == "y") return true;
    if (value == "n") return false;
    fail(field + " field: bad value \"" + value + "\" (expected y, n or -)");
  }

  int number(const std::string& field, std::string_view value) const {
    if (value.empty() || value.size() > 9) {
      fail(field + " field: bad value \"" + std::string(value) + "\" (expected a number or -)");
    }
    int n = 0;
    for (char c : value) {
      if (c < '0' || c > '9') {
        fail(field + " field: bad value \"" + std::string(value) + "\" (expected a number or -)");
      }
      n = n * 10 + (c - '0');
    }
    return n;
  }

  std::pair<std::string, std::string> override(const Token& t) const {
    const std::size_t eq = t.text.find('=');
    std::string_view name = eq == std::string::npos ? std::string_view() : trim(std::string_view(t.text).substr(0, eq));
    bool ok = eq != std::string::npos && !name.empty();
    for (char c : name) ok = ok && isNameChar(c);
    if (!ok) fail("-o \"" + t.text + "\": expected name=value");
    std::string_view value = std::string_view(t.text).substr(eq + 1);
    if (t.braced) value = trim(value);
    return {std::string(name), std::string(value)};
  }

  void inetAddress(ServiceEntry& s) const {
    std::string_view name = s.name;
    std::string_view port = name;
    if (!name.empty() && name.front() == '[') {
      const std::size_t close = name.find(']');
      if (close == std::string_view::npos || close + 1 >= name.size() || name[close + 1] != ':') {
        fail("inet service \"" + s.name + "\": expected [address]:port");
      }
      s.host = std::string(name.substr(1, close - 1));
      port = name.substr(close + 2);
      if (s.host.empty()) fail("inet service \"" + s.name + "\": empty address in []");
    } else if (const std::size_t colon = name.rfind(':'); colon != std::string_view::npos) {
      s.host = std::string(name.substr(0, colon));
      port = name.substr(colon + 1);
      if (s.host.find(':') != std::string::npos) {
        fail("inet service \"" + s.name + "\": write an IPv6 address as [address]:port");
      }
    }
    if (s.host == "*") s.host.clear();
    const std::optional<int> p = resolvePort(port);
    if (!p) fail("inet service \"" + s.name + "\": unknown port \"" + std::string(port) + "\"");
    s.port = *p;
  }

 private:
  std::string file_;
  int line_;
};

ServiceEntry parseLine(std::string_view text, const std::string& file, int line) {
  const LineParser p(file, line);
  const std::vector<Token> tokens = p.tokenize(text);
  if (tokens.size() < 8) {
    p.fail("expected at least 8 fields (service type private unpriv chroot wakeup maxproc "
           "command), found " + std::to_string(tokens.size()));
  }
  ServiceEntry s;
  s.file = file;
  s.line = line;
  s.name = tokens[0].text;
  if (s.name.empty()) p.fail("empty service name");

  const std::string& type = tokens[1].text;
  if (type == "inet") {
    s.type = ServiceType::Inet;
  } else if (type == "unix") {
    s.type = ServiceType::Unix;
  } else {
    p.fail("service " + s.name + ": unsupported service type \"" + type +
           "\" (expected inet or unix)");
  }

  const bool inet = s.type == ServiceType::Inet;
  s.privateService = p.yesNo("private", tokens[2].text, !inet);
  if (inet && s.privateService) {
    p.fail("service " + s.name + ": an inet service cannot be private (write n or -)");
  }
  s.unprivileged = p.yesNo("unpriv", tokens[3].text, true);
  s.chroot = p.yesNo("chroot", tokens[4].text, true);

  std::string_view wakeup = tokens[5].text;
  if (wakeup != "-") {
    if (!wakeup.empty() && wakeup.back() == '?') {
      s.wakeupIfUsed = true;
      wakeup.remove_suffix(1);
    }
    s.wakeupSeconds = p.number("wakeup", wakeup);
  }
  if (tokens[6].text != "-") s.maxproc = p.number("maxproc", tokens[6].text);

  s.command = tokens[7].text;
  if (s.command.empty()) p.fail("service " + s.name + ": empty command");

  // Leading options, as the command's getopt would see them: -o pairs are
  // collected; -n -s -t -S take the next argument along; the first
  // non-option (or "--") ends the options.
  bool options = true;
  for (std::size_t i = 8; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    const bool isOption = options && !t.braced && t.text.size() > 1 && t.text[0] == '-';
    if (!isOption) {
      options = false;
      s.args.push_back(t.text);
      continue;
    }
    if (t.text == "--") {
      options = false;
      s.args.push_back(t.text);
    } else if (t.text == "-o") {
      if (i + 1 >= tokens.size()) p.fail("-o at the end of the line: expected name=value");
      s.overrides.push_back(p.override(tokens[++i]));
    } else if (t.text.rfind("-o", 0) == 0) {
      s.overrides.push_back(p.override(Token{t.text.substr(2), false}));
    } else {
      s.args.push_back(t.text);
      if ((t.text == "-n" || t.text == "-s" || t.text == "-t" || t.text == "-S") &&
          i + 1 < tokens.size()) {
        s.args.push_back(tokens[++i].text);
      }
    }
  }

  if (inet) p.inetAddress(s);
  return s;
}

}  // namespace

std::string_view serviceTypeName(ServiceType type) {
  return type == ServiceType::Inet ? "inet" : "unix";
}

std::optional<int> resolvePort(std::string_view port) {
  if (port.empty()) return std::nullopt;
  if (port.find_first_not_of("0123456789") == std::string_view::npos) {
    if (port.size() > 5) return std::nullopt;
    const int n = std::stoi(std::string(port));
    if (n < 1 || n > 65535) return std::nullopt;
    return n;
  }
  const std::string name(port);
  if (const servent* se = getservbyname(name.c_str(), "tcp")) {
    return ntohs(static_cast<uint16_t>(se->s_port));
  }
  // /etc/services may be missing on a minimal system.
  static const std::map<std::string_view, int> kMailPorts = {
      {"smtp", 25},   {"lmtp", 24},        {"submission", 587}, {"submissions", 465},
      {"smtps", 465}, {"urd", 465},        {"pop3", 110},       {"pop3s", 995},
      {"imap", 143},  {"imap2", 143},      {"imaps", 993},      {"sieve", 4190},
  };
  auto it = kMailPorts.find(port);
  if (it != kMailPorts.end()) return it->second;
  return std::nullopt;
}

std::vector<ServiceEntry> parseMasterConf(std::string_view text, const std::string& filename) {
  std::vector<ServiceEntry> out;
  std::map<std::string, std::string> seen;  // "name/type" -> file:line

  for (const util::LogicalLine& logical : configLines(text, filename, "service line")) {
    ServiceEntry s = parseLine(logical.text, filename, logical.line);
    const std::string key = s.name + "/" + std::string(serviceTypeName(s.type));
    auto [it, fresh] = seen.emplace(key, s.where());
    if (!fresh) {
      throw ConfigError(s.where() + ": duplicate service " + s.name + " " +
                        std::string(serviceTypeName(s.type)) + " (first defined at " +
                        it->second + ")");
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<ServiceEntry> loadMasterConf(const std::string& configDir) {
  const std::string path =
      configDir + (!configDir.empty() && configDir.back() == '/' ? "" : "/") + "master.conf";
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot open: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return parseMasterConf(text.str(), path);
}

void applyOverrides(const ServiceEntry& service, Config& cfg) {
  for (const auto& [name, value] : service.overrides) {
    cfg.set(name, value, Origin{service.file, service.line});
  }
}

}  // namespace posthorn::config
