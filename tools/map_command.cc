// map_command - `posthorn map` and `newaliases`: build and query lookup tables.
#include "tools/map_command.h"

#include <exception>
#include <iostream>
#include <memory>
#include <optional>
#include <set>

#include "lib/access/restriction_list.h"
#include "lib/config/config.h"
#include "lib/map/lookup_table.h"
#include "lib/map/map_builder.h"
#include "tools/command.h"

namespace posthorn::tools {

namespace {

constexpr int kMapFound = 0;
constexpr int kMapNotFound = 1;
constexpr int kMapError = 2;

constexpr Command kMap{"posthorn map",
                       "usage: posthorn map [-c DIR] [-a] [hash:]FILE\n"
                       "       posthorn map [-c DIR] -q KEY [type:]name",
                       kMapError, kMapError};
constexpr Command kNewaliases{"newaliases", "usage: newaliases [-c DIR]", 1, 1};

struct MapOptions {
  std::optional<std::string> configDir;
  std::optional<std::string> queryKey;
  bool aliases = false;
  std::string table;
};

MapOptions parseMapOptions(const std::vector<std::string>& args) {
  MapOptions options;
  ArgCursor arg(args);
  while (arg.next()) {
    switch (arg.option()) {
      case 'c': options.configDir = arg.value(); break;
      case 'q': options.queryKey = arg.value(); break;
      case 'a':
        arg.alone();
        options.aliases = true;
        break;
      default: arg.unknown();
    }
  }
  options.table = arg.operand("table");
  return options;
}

void printWarnings(std::ostream& err, std::string_view program, const std::vector<std::string>& warnings) {
  for (const std::string& w : warnings) err << program << ": warning: " << w << '\n';
}

bool buildTable(const map::TableSpec& spec, map::SourceFormat format, std::ostream& err,
                std::string_view program) {
  if (spec.type != "hash") {
    if (map::isSupportedType(spec.type)) {
      err << program << ": " << spec.type << ": tables are read as they are, not built (\""
          << spec.str() << "\"); only hash: tables are built\n";
    } else {
      err << program << ": unsupported table type \"" << spec.type << "\" in \"" << spec.str()
          << "\" (supported: " << map::supportedTypes() << ")\n";
    }
    return false;
  }
  map::BuildReport report = map::buildHashMap(spec.name, format);
  printWarnings(err, program, report.warnings);
  return true;
}

}  // namespace

int runMap(const std::vector<std::string>& args) { return runMap(args, std::cout, std::cerr); }

int runMap(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  return kMap.run(err, [&] {
    MapOptions options = parseMapOptions(args);
    // posthorn map reads no parameters today; -c is accepted like every command's.
    map::TableSpec spec = map::TableSpec::parseOrDefault(options.table, "hash");
    if (options.queryKey) {
      std::unique_ptr<map::LookupTable> table = map::openTable(spec);
      std::optional<std::string> value = table->lookup(*options.queryKey);
      if (!value) return kMapNotFound;
      out << *value << std::endl;
      return kMapFound;
    }
    auto format = options.aliases ? map::SourceFormat::Aliases : map::SourceFormat::Postmap;
    return buildTable(spec, format, err, kMap.name) ? 0 : kMapError;
  });
}

std::vector<std::string> tableFileProblems(const config::Config& cfg) {
  std::vector<std::string> problems;
  std::set<std::string> seen;
  std::vector<std::string> words;
  try {
    words = access::withoutPolicyServers(cfg.getList("proxy_read_maps"));
  } catch (const config::ConfigError& e) {
    return {e.what()};
  }
  for (std::string word : words) {
    if (word.rfind("proxy:", 0) == 0) word.erase(0, 6);
    if (word.find(':') == std::string::npos || !seen.insert(word).second) continue;
    try {
      const map::TableSpec spec = map::TableSpec::parse(word);
      if (spec.type == "hash") continue;
      (void)map::openTable(spec);
    } catch (const map::MapError& e) {
      problems.push_back("table " + word + ": " + e.what());
    }
  }
  return problems;
}

int runNewaliases(const std::vector<std::string>& args) {
  return runNewaliases(args, std::cout, std::cerr);
}

int runNewaliases(const std::vector<std::string>& args, std::ostream& /*out*/, std::ostream& err) {
  return kNewaliases.run(err, [&] {
    std::string configDir;
    ArgCursor arg(args, {.permute = false, .endMarker = false});
    while (arg.next()) {
      if (arg.option() != 'c') throw UsageError("unexpected argument " + arg.arg());
      configDir = arg.value();
    }
    if (const auto extra = arg.operands(); !extra.empty())
      throw UsageError("unexpected argument " + extra.front());

    std::vector<std::string> warnings;
    const config::Config cfg = config::Config::load(configDirectory(configDir), &warnings);
    printWarnings(err, kNewaliases.name, warnings);
    bool ok = true;
    for (const std::string& name : cfg.getList("alias_database")) {
      try {
        ok = buildTable(map::TableSpec::parse(name), map::SourceFormat::Aliases, err,
                        kNewaliases.name) && ok;
      } catch (const std::exception& e) {
        kNewaliases.failed(err, e.what());
        ok = false;
      }
    }
    err.flush();
    return ok ? 0 : 1;
  });
}

}  // namespace posthorn::tools
