// map_command - `posthorn map` and `newaliases`: build and query lookup tables.
#include "tools/map_command.h"

#include <exception>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>

#include "lib/config/config.h"
#include "lib/map/lookup_table.h"
#include "lib/map/map_builder.h"

namespace posthorn::tools {

namespace {

constexpr int kMapFound = 0;
constexpr int kMapNotFound = 1;
constexpr int kMapError = 2;

constexpr const char* kMapUsage =
    "usage: posthorn map [-c DIR] [-a] [hash:]FILE\n"
    "       posthorn map [-c DIR] -q KEY [hash:]FILE";
constexpr const char* kNewaliasesUsage = "usage: newaliases [-c DIR]";

struct MapOptions {
  std::optional<std::string> configDir;
  std::optional<std::string> queryKey;
  bool aliases = false;
  std::string table;
};

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reads the value of option -X, given as "-Xvalue" or "-X value".
std::string optionValue(const std::vector<std::string>& args, std::size_t& i) {
  const std::string& arg = args[i];
  if (arg.size() > 2) return arg.substr(2);
  if (i + 1 >= args.size()) throw UsageError("option " + arg + " needs a value");
  return args[++i];
}

MapOptions parseMapOptions(const std::vector<std::string>& args) {
  MapOptions options;
  std::vector<std::string> operands;
  std::size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      operands.push_back(arg);
      continue;
    }
    switch (arg[1]) {
      case 'c': options.configDir = optionValue(args, i); break;
      case 'q': options.queryKey = optionValue(args, i); break;
      case 'a':
        if (arg != "-a") throw UsageError("unknown option " + arg);
        options.aliases = true;
        break;
      default: throw UsageError("unknown option " + arg);
    }
  }
  for (; i < args.size(); ++i) operands.push_back(args[i]);
  if (operands.size() != 1) throw UsageError("expected exactly one table, got " +
                                             std::to_string(operands.size()));
  options.table = operands[0];
  return options;
}

void printWarnings(std::ostream& err, const char* program, const std::vector<std::string>& warnings) {
  for (const std::string& w : warnings) err << program << ": warning: " << w << '\n';
}

bool buildTable(const map::TableSpec& spec, map::SourceFormat format, std::ostream& err,
               const char* program) {
  if (spec.type != "hash") {
    err << program << ": unsupported table type \"" << spec.type << "\" in \"" << spec.str()
        << "\" (supported: " << map::supportedTypes() << ")\n";
    return false;
  }
  map::BuildReport report = map::buildHashMap(spec.name, format);
  printWarnings(err, program, report.warnings);
  return true;
}

}  // namespace

int runMap(const std::vector<std::string>& args) { return runMap(args, std::cout, std::cerr); }

int runMap(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  constexpr const char* kProgram = "posthorn map";
  try {
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
    return buildTable(spec, format, err, kProgram) ? 0 : kMapError;
  } catch (const UsageError& e) {
    err << kProgram << ": " << e.what() << '\n' << kMapUsage << std::endl;
  } catch (const std::exception& e) {
    err << kProgram << ": " << e.what() << std::endl;
  }
  return kMapError;
}

int runNewaliases(const std::vector<std::string>& args) {
  return runNewaliases(args, std::cout, std::cerr);
}

int runNewaliases(const std::vector<std::string>& args, std::ostream& /*out*/, std::ostream& err) {
  constexpr const char* kProgram = "newaliases";
  std::string configDir;
  try {
    for (std::size_t i = 0; i < args.size(); ++i) {
      if (args[i].rfind("-c", 0) == 0) {
        configDir = optionValue(args, i);
      } else {
        throw UsageError("unexpected argument " + args[i]);
      }
    }
  } catch (const UsageError& e) {
    err << kProgram << ": " << e.what() << '\n' << kNewaliasesUsage << std::endl;
    return 1;
  }
  if (configDir.empty()) configDir = config::defaultConfigDir();

  std::vector<std::string> tables;
  try {
    std::vector<std::string> warnings;
    config::Config cfg = config::Config::load(configDir, &warnings);
    printWarnings(err, kProgram, warnings);
    tables = cfg.getList("alias_database");
  } catch (const std::exception& e) {
    err << kProgram << ": " << e.what() << std::endl;
    return 1;
  }
  bool ok = true;
  for (const std::string& name : tables) {
    try {
      ok = buildTable(map::TableSpec::parse(name), map::SourceFormat::Aliases, err, kProgram) && ok;
    } catch (const std::exception& e) {
      err << kProgram << ": " << e.what() << '\n';
      ok = false;
    }
  }
  err.flush();
  return ok ? 0 : 1;
}

}  // namespace posthorn::tools
