// conf_command - `posthorn conf`, the postconf(1) of posthorn (see conf_command.h)
#include "tools/conf_command.h"

#include "lib/config/config.h"

namespace posthorn::tools {

namespace {

constexpr const char* kUsage = "posthorn: fatal: usage: posthorn conf [-c DIR] [-d] [-h] [-n] [name...]";

}  // namespace

int runConf(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string configDir;
  bool defaultsOnly = false, setOnly = false, valueOnly = false;
  std::vector<std::string> names;

  bool options = true;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (!options || a.size() < 2 || a[0] != '-') {
      options = false;
      names.push_back(a);
      continue;
    }
    if (a == "--") {
      options = false;
      continue;
    }
    for (std::size_t k = 1; k < a.size(); ++k) {
      switch (a[k]) {
        case 'd': defaultsOnly = true; break;
        case 'n': setOnly = true; break;
        case 'h': valueOnly = true; break;
        case 'c':
          if (k + 1 < a.size()) {
            configDir = a.substr(k + 1);
          } else if (i + 1 < args.size()) {
            configDir = args[++i];
          } else {
            err << "posthorn: fatal: -c needs a directory\n" << kUsage << "\n";
            return 1;
          }
          k = a.size();
          break;
        default:
          err << "posthorn: fatal: unknown option -" << a[k] << "\n" << kUsage << "\n";
          return 1;
      }
    }
  }
  if (defaultsOnly && setOnly) {
    err << "posthorn: fatal: -d and -n cannot be used together\n";
    return 1;
  }
  if (configDir.empty()) configDir = config::defaultConfigDir();

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
    err << "posthorn: fatal: " << e.what() << "\n";
    return 1;
  }
  out.flush();
  return status;
}

}  // namespace posthorn::tools
