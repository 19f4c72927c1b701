// pgsql_map - pgsql: tables through libpq (see pgsql_map.h)
#include "lib/map/pgsql_map.h"

#include <charconv>
#include <libpq-fe.h>

#include "lib/map/map_source.h"

namespace posthorn::map {

namespace {

bool isBlank(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && isBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && isBlank(s.back())) s.remove_suffix(1);
  return s;
}

std::vector<std::string> splitList(std::string_view s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    if (isBlank(s[i]) || s[i] == ',') {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < s.size() && !isBlank(s[j]) && s[j] != ',') ++j;
    out.emplace_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

// The parts of an address that % sequences name.
struct AddressParts {
  std::string_view whole, local, domain;
  bool hasAt = false;
  explicit AddressParts(std::string_view s) : whole(s) {
    const std::size_t at = s.rfind('@');
    hasAt = at != std::string_view::npos;
    local = hasAt ? s.substr(0, at) : s;
    domain = hasAt ? s.substr(at + 1) : std::string_view();
  }
  // Label n (1 = the last) of the domain, or nullopt.
  std::optional<std::string_view> label(int n) const {
    if (!hasAt || domain.empty()) return std::nullopt;
    std::string_view d = domain;
    for (int i = 1;; ++i) {
      const std::size_t dot = d.rfind('.');
      std::string_view last = dot == std::string_view::npos ? d : d.substr(dot + 1);
      if (i == n) return last.empty() ? std::nullopt : std::optional(last);
      if (dot == std::string_view::npos) return std::nullopt;
      d = d.substr(0, dot);
    }
  }
};

// The text that %c names in parts, or nullopt when it suppresses.
std::optional<std::string_view> expansion(char c, const AddressParts& parts) {
  switch (c) {
    case 's': return parts.whole;
    case 'u':
      if (parts.hasAt && parts.local.empty()) return std::nullopt;
      return parts.local;
    case 'd':
      if (!parts.hasAt || parts.domain.empty()) return std::nullopt;
      return parts.domain;
    default:
      if (c >= '1' && c <= '9') return parts.label(c - '0');
      return std::nullopt;
  }
}

bool isExpansion(char c) {
  return c == '%' || c == 's' || c == 'u' || c == 'd' || c == 'S' || c == 'U' || c == 'D' ||
         (c >= '1' && c <= '9');
}

void checkFormat(std::string_view format, const std::string& file, int line,
                 const std::string& text) {
  for (std::size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') continue;
    if (i + 1 >= format.size() || !isExpansion(format[i + 1])) {
      syntaxError(file, line, "invalid % expansion (known: %s %u %d %1-%9 %S %U %D %%)", text);
    }
    ++i;
  }
}

[[noreturn]] void pgError(const std::string& spec, const std::string& what, const char* detail) {
  std::string text = spec + ": " + what;
  std::string d = detail != nullptr ? detail : "";
  while (!d.empty() && (d.back() == '\n' || d.back() == ' ')) d.pop_back();
  for (char& c : d) {
    if (c == '\n') c = ' ';
  }
  if (!d.empty()) text += ": " + d;
  throw MapError(text);
}

}  // namespace

std::optional<std::string> expandPgsqlFormat(
    std::string_view format, std::string_view key, const std::optional<std::string>& value,
    const std::function<std::string(std::string_view)>& quote) {
  const AddressParts keyParts(key);
  const AddressParts valueParts(value ? std::string_view(*value) : key);
  std::string out;
  for (std::size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%' || i + 1 >= format.size()) {
      out += format[i];
      continue;
    }
    const char c = format[++i];
    if (c == '%') {
      out += '%';
      continue;
    }
    const bool ofKey = c == 'S' || c == 'U' || c == 'D';
    const char lower = ofKey ? static_cast<char>(c - 'A' + 'a') : c;
    std::optional<std::string_view> part = expansion(lower, ofKey ? keyParts : valueParts);
    if (!part) return std::nullopt;
    out += quote(*part);
  }
  return out;
}

PgsqlHost parsePgsqlHost(std::string_view spec) {
  constexpr std::string_view kUnix = "unix:", kInet = "inet:";
  if (spec.substr(0, kUnix.size()) == kUnix) {
    std::string_view path = spec.substr(kUnix.size());
    // A path to the socket file itself: its directory and port.
    const std::size_t slash = path.rfind('/');
    constexpr std::string_view kSocket = ".s.PGSQL.";
    if (slash != std::string_view::npos && path.substr(slash + 1, kSocket.size()) == kSocket) {
      return {std::string(path.substr(0, slash == 0 ? 1 : slash)),
              std::string(path.substr(slash + 1 + kSocket.size()))};
    }
    return {std::string(path), ""};
  }
  if (spec.substr(0, kInet.size()) == kInet) spec.remove_prefix(kInet.size());
  if (!spec.empty() && spec.front() == '[') {
    const std::size_t close = spec.find(']');
    if (close != std::string_view::npos) {
      std::string_view rest = spec.substr(close + 1);
      return {std::string(spec.substr(1, close - 1)),
              rest.size() > 1 && rest.front() == ':' ? std::string(rest.substr(1)) : ""};
    }
  }
  const std::size_t colon = spec.rfind(':');
  if (colon != std::string_view::npos && spec.find(':') == colon) {
    return {std::string(spec.substr(0, colon)), std::string(spec.substr(colon + 1))};
  }
  return {std::string(spec), ""};
}

PgsqlSettings PgsqlSettings::parse(std::string_view text, const std::string& file) {
  PgsqlSettings s;
  bool haveHosts = false;
  for (const util::LogicalLine& l : sourceLines(text, file)) {
    const std::size_t eq = l.text.find('=');
    if (eq == std::string::npos) syntaxError(file, l.line, "expected \"name = value\"", l.text);
    const std::string name(trim(std::string_view(l.text).substr(0, eq)));
    const std::string value(trim(std::string_view(l.text).substr(eq + 1)));
    if (name == "hosts") {
      s.hosts = splitList(value);
      haveHosts = true;
    } else if (name == "user") {
      s.user = value;
    } else if (name == "password") {
      s.password = value;
    } else if (name == "dbname") {
      s.dbname = value;
    } else if (name == "query") {
      checkFormat(value, file, l.line, l.text);
      s.query = value;
    } else if (name == "result_format") {
      checkFormat(value, file, l.line, l.text);
      s.resultFormat = value;
    } else if (name == "domain") {
      s.domains = splitList(value);
    } else if (name == "expansion_limit") {
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), s.expansionLimit);
      if (value.empty() || ec != std::errc() || end != value.data() + value.size() ||
          s.expansionLimit < 0) {
        syntaxError(file, l.line, "expansion_limit must be a number (0: no limit)", l.text);
      }
    } else {
      syntaxError(file, l.line, "unknown parameter \"" + name + "\"", l.text);
    }
  }
  for (auto [name, missing] : {std::pair{"hosts", !haveHosts || s.hosts.empty()},
                               std::pair{"dbname", s.dbname.empty()},
                               std::pair{"query", s.query.empty()}}) {
    if (missing) throw MapError(file + ": parameter \"" + name + "\" is not set");
  }
  return s;
}

struct PgsqlMap::Connection {
  PGconn* conn = nullptr;
  ~Connection() {
    if (conn != nullptr) PQfinish(conn);
  }
};

PgsqlMap::PgsqlMap(const std::string& path)
    : file_(path), settings_(PgsqlSettings::parse(readSourceText(path), path)) {
  for (const std::string& d : settings_.domains) {
    if (d.find(':') != std::string::npos) domainTables_.push_back(openTable(d));
  }
}

PgsqlMap::~PgsqlMap() = default;

PgsqlMap::Connection& PgsqlMap::connection() {
  if (conn_ && PQstatus(conn_->conn) == CONNECTION_OK) return *conn_;
  conn_.reset();
  std::string errors;
  for (const std::string& spec : settings_.hosts) {
    const PgsqlHost h = parsePgsqlHost(spec);
    const char* keys[] = {"host", "port", "user", "password", "dbname", "connect_timeout",
                          "application_name", nullptr};
    const char* values[] = {h.host.c_str(),          h.port.empty() ? nullptr : h.port.c_str(),
                            settings_.user.c_str(),  settings_.password.c_str(),
                            settings_.dbname.c_str(), "10",
                            "posthorn",              nullptr};
    auto c = std::make_unique<Connection>();
    c->conn = PQconnectdbParams(keys, values, 0);
    if (c->conn != nullptr && PQstatus(c->conn) == CONNECTION_OK) {
      conn_ = std::move(c);
      return *conn_;
    }
    std::string why = c->conn != nullptr ? PQerrorMessage(c->conn) : "out of memory";
    if (!errors.empty()) errors += "; ";
    errors += spec + ": " + why;
  }
  pgError(spec(), "cannot connect to any of the hosts", errors.c_str());
}

bool PgsqlMap::domainAllowed(std::string_view key) {
  if (settings_.domains.empty()) return true;
  const std::size_t at = key.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == key.size()) return false;
  const std::string_view domain = key.substr(at + 1);
  for (const std::string& d : settings_.domains) {
    if (d.find(':') == std::string::npos && foldKey(d) == domain) return true;
  }
  for (auto& table : domainTables_) {
    if (table->lookup(domain)) return true;
  }
  return false;
}

std::optional<std::string> PgsqlMap::lookup(std::string_view rawKey) {
  const std::string key = foldKey(rawKey);
  if (!domainAllowed(key)) return std::nullopt;
  PGconn* conn = connection().conn;
  auto quote = [conn](std::string_view text) {
    std::string out(text.size() * 2 + 1, '\0');
    int error = 0;
    const std::size_t n = PQescapeStringConn(conn, out.data(), text.data(), text.size(), &error);
    if (error != 0) throw MapError("cannot quote the key for SQL: " + std::string(PQerrorMessage(conn)));
    out.resize(n);
    return out;
  };
  const std::optional<std::string> query = expandPgsqlFormat(settings_.query, key, std::nullopt, quote);
  if (!query) return std::nullopt;
  PGresult* res = PQexec(conn, query->c_str());
  if (res == nullptr || PQresultStatus(res) != PGRES_TUPLES_OK) {
    const std::string why = res != nullptr ? PQresultErrorMessage(res) : PQerrorMessage(conn);
    if (res != nullptr) PQclear(res);
    conn_.reset();  // the next lookup connects again
    pgError(spec(), "query failed", why.c_str());
  }
  std::string joined;
  long count = 0;
  const int rows = PQntuples(res);
  const int columns = PQnfields(res);
  auto asIs = [](std::string_view text) { return std::string(text); };
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < columns; ++c) {
      if (PQgetisnull(res, r, c)) continue;
      std::string value(PQgetvalue(res, r, c), PQgetlength(res, r, c));
      if (value.empty()) continue;
      std::optional<std::string> shown = expandPgsqlFormat(settings_.resultFormat, key, value, asIs);
      if (!shown) continue;
      if (settings_.expansionLimit > 0 && ++count > settings_.expansionLimit) {
        PQclear(res);
        throw MapError(spec() + ": more than expansion_limit=" +
                       std::to_string(settings_.expansionLimit) + " results for \"" + key + "\"");
      }
      if (!joined.empty()) joined += ", ";
      joined += *shown;
    }
  }
  PQclear(res);
  if (joined.empty()) return std::nullopt;
  return joined;
}

}  // namespace posthorn::map
