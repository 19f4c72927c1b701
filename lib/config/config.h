// config - posthorn.conf, the main configuration file
//
// Syntax and semantics follow Postfix main.cf: `name = value` lines, `#`
// comments on lines of their own, a line that starts with white space
// continues the previous one, and `$name` / `${name}` (also `${name?text}`
// and `${name:text}`) expand other parameters when a value is read, so a
// later assignment changes every value that refers to it. Parameters keep
// the Postfix names wherever the concept is the same.
//
// Values are read through typed accessors; a bad value throws ConfigError
// whose message names file:line and the value. See posthorn.conf(5).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "lib/util/logical_lines.h"

namespace posthorn::config {

// Where a value came from: the file and line of its assignment, or the
// built-in default table (file empty, line 0), or a `-o` override.
struct Origin {
  std::string file;
  int line = 0;
  std::string describe() const;  // "file:line", "default" or "override"
};

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class ParamType { String, Int, Bool, Time, Size, List };

// "string", "integer", ... as posthorn.conf(5) and messages name them.
std::string_view typeName(ParamType type);

class Config;

// One row of the built-in parameter table (config_defaults.cc).
struct ParamInfo {
  std::string_view name;
  std::string_view defaultValue;  // may itself contain $name references
  ParamType type;
  // For defaults that depend on the host or on other settings (myhostname,
  // mydomain, config_directory): computes the unexpanded default text.
  std::string (*computeDefault)(const Config&) = nullptr;
};

// The configuration directory when no -c DIR is given: $MAIL_CONFIG when
// set and not empty (as Postfix), else POSTHORN_CONFIG_DIR (/etc/mail).
std::string defaultConfigDir();

// The host's fully-qualified name (gethostname + getaddrinfo AI_CANONNAME,
// falling back to gethostname); looked up once per process.
std::string hostFqdn();

// The logical lines of a configuration file (util::logicalLines); a
// continuation line at the start throws ConfigError "FILE:LINE: ...
// without a preceding <preceding>".
std::vector<util::LogicalLine> configLines(std::string_view text, const std::string& filename,
                                           std::string_view preceding);

// The built-in table; a name not in it draws an "unknown parameter" warning.
const std::vector<ParamInfo>& knownParameters();
const ParamInfo* findParameter(std::string_view name);

class Config {
 public:
  // Reads DIR/posthorn.conf. A missing file is an error; warnings (unknown
  // parameters) are appended to *warnings when given.
  static Config load(const std::string& configDir,
                     std::vector<std::string>* warnings = nullptr);
  // Only the built-in defaults, as if DIR/posthorn.conf were empty.
  static Config defaults(const std::string& configDir = "");
  // Parses text as if it were the file `filename`.
  static Config parse(std::string_view text, const std::string& filename,
                      std::vector<std::string>* warnings = nullptr);

  // The configuration directory this was loaded from (config_directory).
  const std::string& configDir() const { return configDir_; }

  // Command-line or master.conf `-o name=value` overrides win over the file.
  void set(const std::string& name, const std::string& value,
           Origin origin = {"override", 0});

  // A copy in which name is not set: it reads as its default from the
  // table (expanded against the rest), for a program that takes an empty or
  // unusable value to mean the default.
  Config without(std::string_view name) const;

  bool isSet(std::string_view name) const;  // explicitly set (file or -o)
  std::optional<std::string> rawValue(std::string_view name) const;
  Origin origin(std::string_view name) const;

  // Expanded value; the default when unset; "" for unknown names.
  // An expansion loop throws ConfigError naming the parameter chain.
  std::string get(std::string_view name) const;
  long long getInt(std::string_view name) const;
  bool getBool(std::string_view name) const;                // yes/no
  std::chrono::seconds getTime(std::string_view name) const;  // 30s 5m 2h 5d 1w; bare number = seconds
  std::uint64_t getSize(std::string_view name) const;      // bytes; k/m/g suffixes allowed
  // Comma and/or white space separated list.
  std::vector<std::string> getList(std::string_view name) const;
  // A list of protocol keywords (EHLO keywords, SASL mechanisms): getList,
  // each item in ASCII upper case, as SMTP compares them without case.
  std::vector<std::string> getKeywordList(std::string_view name) const;

  // Every name that is set or has a default, sorted.
  std::vector<std::string> names() const;
  // Only the explicitly set names (file or -o), sorted.
  std::vector<std::string> setNames() const;

  // The unexpanded default of a known parameter (computed ones included);
  // nullopt for unknown names.
  std::optional<std::string> defaultValue(std::string_view name) const;

  // Expands every set value and reads every known parameter through its
  // typed accessor; returns one message per problem (empty = valid).
  std::vector<std::string> validate() const;

  // Expands $name references in arbitrary text against this configuration.
  std::string expand(std::string_view text) const;

 private:
  struct Entry {
    std::string value;
    Origin origin;
  };
  std::string expandNamed(std::string_view name, const Origin& where,
                          std::vector<std::string>& stack) const;
  std::string expandText(std::string_view text, const Origin& where,
                         std::vector<std::string>& stack) const;
  [[noreturn]] void badValue(std::string_view name, const std::string& value,
                             const std::string& why) const;

  std::string configDir_;
  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace posthorn::config
