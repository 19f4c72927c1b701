// command - the scaffold every tools/ command stands on: one UsageError, a
// cursor over the arguments, the configuration directory, and what a
// command prints when it is misused or fails
//
//   constexpr Command kMap{"posthorn map", "usage: posthorn map [-c DIR] [-a] FILE", 2, 2};
//
//   int runMap(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
//     return kMap.run(err, [&] {
//       ArgCursor arg(args);
//       while (arg.next()) {
//         switch (arg.option()) {
//           case 'c': configDir = arg.value(); break;   // -c DIR, -cDIR
//           case 'a': arg.alone(); aliases = true; break;
//           default: arg.unknown();                     // "unknown option -x"
//         }
//       }
//       const std::string table = arg.operand("table");   // "expected exactly one table, got 2"
//       ...
//       return 0;
//     });
//   }
//
// Each command keeps its own usage text, statuses and grammar (the Syntax):
// they were written one by one, and their man pages and scripts rely on them.
#pragma once

#include <functional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "lib/config/config.h"

namespace posthorn::tools {

// A command line the command cannot take; Command prints its usage after it.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// How a command writes its options. By default: options and operands in any
// order, "--" ends the options, one option to an argument.
struct Syntax {
  bool permute = true;    // operands may stand between options; else the first operand ends them
  bool endMarker = true;  // "--" ends the options; else it is an unknown option "--"
  bool clusters = false;  // "-dn" is -d and -n; else "-dn" is -d with "n" attached
};

// Walks a command's arguments from the front, one option at a time. An
// option is an argument of two or more characters that starts with '-'; "-"
// alone is an operand. Every method that finds a mistake throws UsageError.
class ArgCursor {
 public:
  explicit ArgCursor(std::vector<std::string> args, Syntax syntax = {});

  // Moves to the next option; false once the options are over (then call
  // operands()).
  bool next();
  // The current option's letter: 'q' for "-qKEY".
  char option() const;
  // The current argument, as given: "-qKEY".
  const std::string& arg() const { return args_[current_]; }

  // The current option's value: the rest of its argument ("-qKEY") or else
  // the next argument ("-q KEY"). Without one: "option -q needs a value".
  std::string value();
  // The same, for the commands that have always said "-c needs " + needs.
  std::string value(std::string_view needs);
  // Only the rest of the argument, maybe empty; never the next argument
  // (an optional value, as sendmail's -q30m).
  std::string attachedValue();

  // The option must stand alone ("-a", not "-axyz"), as one that takes no
  // value does; else "unknown option -axyz". In clusters it always does.
  void alone() const;
  // "unknown option -x": the whole argument, or the letter in clusters.
  [[noreturn]] void unknown() const;
  // The current argument is no option of this command after all: the options
  // end before it, and it is the first operand.
  void stop();

  // The operands: those met between options, then every argument after the
  // options.
  std::vector<std::string> operands() const;
  // The one operand there must be; else "expected exactly one " + what + ", got N".
  std::string operand(std::string_view what) const;

 private:
  std::string takeValue(const std::string& missing);

  std::vector<std::string> args_;
  Syntax syntax_;
  std::size_t next_ = 0;     // the next argument to look at
  std::size_t current_ = 0;  // the current option's argument
  std::size_t letter_ = 0;   // the current option's letter in it; 0 before the first
  bool over_ = false;        // the options are over
  std::vector<std::string> operands_;
};

// How a command tells what went wrong: "NAME: why" on err, then the usage
// for a usage error, and an exit status for each.
struct Command {
  std::string_view name;   // "posthorn map"; or "posthorn: fatal" for "posthorn: fatal: why"
  std::string_view usage;  // "usage: posthorn map ..." (more lines: "\n"); empty: none
  int usageStatus = 2;     // after a usage error
  int failureStatus = 1;   // after any other error

  // Prints why and the usage; returns usageStatus.
  int misused(std::ostream& err, std::string_view why) const;
  // Prints why; returns failureStatus.
  int failed(std::ostream& err, std::string_view why) const;
  // Runs body and returns its status; a UsageError it throws becomes
  // misused(), any other exception failed().
  int run(std::ostream& err, const std::function<int()>& body) const;
};

// The configuration directory of a command whose -c DIR is empty when not
// given (or given empty): DIR, or else config::defaultConfigDir().
std::string configDirectory(const std::string& dir);

// The configuration in DIR (configDirectory's rules), or the defaults with
// DIR as config_directory when DIR has no posthorn.conf yet: for commands
// that make the files a new installation needs (tls, dkim).
config::Config configOrDefaults(const std::string& dir);

}  // namespace posthorn::tools
