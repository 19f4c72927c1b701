// conf_command - `posthorn conf`, the postconf(1) of posthorn (see conf_command.h)
#include "tools/conf_command.h"

#include "lib/config/config.h"
#include "tools/command.h"

namespace posthorn::tools {

namespace {

constexpr Command kConf{"posthorn: fatal",
                        "posthorn: fatal: usage: posthorn conf [-c DIR] [-d] [-h] [-n] [name...]", 1, 1};

}  // namespace

int runConf(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string configDir;
  bool defaultsOnly = false, setOnly = false, valueOnly = false;
  std::vector<std::string> names;
  try {
    // postconf's grammar: "-nh", and the names end the options.
    ArgCursor arg(args, {.permute = false, .clusters = true});
    while (arg.next()) {
      switch (arg.option()) {
        case 'd': defaultsOnly = true; break;
        case 'n': setOnly = true; break;
        case 'h': valueOnly = true; break;
        case 'c': configDir = arg.value("a directory"); break;
        default: arg.unknown();
      }
    }
    names = arg.operands();
  } catch (const UsageError& e) {
    return kConf.misused(err, e.what());
  }
  if (defaultsOnly && setOnly) return kConf.failed(err, "-d and -n cannot be used together");
  configDir = configDirectory(configDir);

  int status = 0;
  try {
    config::Config cfg;
    if (defaultsOnly) {
      cfg = config::Config::defaults(configDir);
    } else {
      std::vector<std::string> warnings;
      cfg = config::Config::load(configDir, &warnings);
      for (const std::string& w : warnings) err << "posthorn: " << w << "\n";
    }

    if (names.empty()) names = setOnly ? cfg.setNames() : cfg.names();
    for (const std::string& name : names) {
      if (!cfg.isSet(name) && config::findParameter(name) == nullptr) {
        err << "posthorn: warning: " << name << ": unknown parameter\n";
        status = 1;
        continue;
      }
      if (setOnly && !cfg.isSet(name)) continue;
      const std::string value = cfg.get(name);
      if (valueOnly) {
        out << value << "\n";
      } else {
        out << name << " =" << (value.empty() ? "" : " ") << value << "\n";
      }
    }
  } catch (const config::ConfigError& e) {
    out.flush();
    return kConf.failed(err, e.what());
  }
  out.flush();
  return status;
}

}  // namespace posthorn::tools
