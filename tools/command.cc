// command - argument cursor, usage errors and configuration directory of the tools/ commands
#include "tools/command.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstddef>
#include <exception>

#include "lib/config/config.h"

namespace posthorn::tools {

ArgCursor::ArgCursor(std::vector<std::string> args, Syntax syntax)
    : args_(std::move(args)), syntax_(syntax) {}

bool ArgCursor::next() {
  if (over_) return false;
  if (syntax_.clusters && letter_ != 0 && letter_ + 1 < args_[current_].size()) {
    ++letter_;
    return true;
  }
  while (next_ < args_.size()) {
    const std::string& a = args_[next_];
    if (syntax_.endMarker && a == "--") {
      ++next_;
      break;
    }
    if (a.size() < 2 || a[0] != '-') {
      if (!syntax_.permute) break;
      operands_.push_back(a);
      ++next_;
      continue;
    }
    current_ = next_++;
    letter_ = 1;
    return true;
  }
  over_ = true;
  return false;
}

char ArgCursor::option() const { return args_[current_][letter_]; }

std::string ArgCursor::value() {
  return takeValue(std::string("option -") + option() + " needs a value");
}

std::string ArgCursor::value(std::string_view needs) {
  return takeValue(std::string("-") + option() + " needs " + std::string(needs));
}

std::string ArgCursor::takeValue(const std::string& missing) {
  const std::string& a = arg();
  std::string v;
  if (letter_ + 1 < a.size()) {
    v = a.substr(letter_ + 1);
  } else if (next_ < args_.size()) {
    v = args_[next_++];
  } else {
    throw UsageError(missing);
  }
  letter_ = a.size();  // the value ends a cluster
  return v;
}

std::string ArgCursor::attachedValue() {
  const std::string& a = arg();
  std::string v = a.substr(letter_ + 1);
  letter_ = a.size();
  return v;
}

void ArgCursor::alone() const {
  if (!syntax_.clusters && arg().size() != 2) unknown();
}

void ArgCursor::unknown() const {
  throw UsageError("unknown option " +
                   (syntax_.clusters ? std::string("-") + option() : arg()));
}

void ArgCursor::stop() {
  next_ = current_;
  over_ = true;
}

std::vector<std::string> ArgCursor::operands() const {
  std::vector<std::string> all = operands_;
  all.insert(all.end(), args_.begin() + static_cast<std::ptrdiff_t>(next_), args_.end());
  return all;
}

std::string ArgCursor::operand(std::string_view what) const {
  std::vector<std::string> all = operands();
  if (all.size() != 1) {
    throw UsageError("expected exactly one " + std::string(what) + ", got " +
                     std::to_string(all.size()));
  }
  return all.front();
}

int Command::misused(std::ostream& err, std::string_view why) const {
  err << name << ": " << why << '\n';
  if (!usage.empty()) err << usage << '\n';
  err.flush();
  return usageStatus;
}

int Command::failed(std::ostream& err, std::string_view why) const {
  err << name << ": " << why << std::endl;
  return failureStatus;
}

int Command::run(std::ostream& err, const std::function<int()>& body) const {
  try {
    return body();
  } catch (const UsageError& e) {
    return misused(err, e.what());
  } catch (const std::exception& e) {
    return failed(err, e.what());
  }
}

std::string configDirectory(const std::string& dir) {
  return dir.empty() ? config::defaultConfigDir() : dir;
}

config::Config configOrDefaults(const std::string& dir) {
  const std::string where = configDirectory(dir);
  struct stat st{};
  if (::stat((where + "/posthorn.conf").c_str(), &st) != 0 && errno == ENOENT)
    return config::Config::defaults(where);
  return config::Config::load(where);
}

}  // namespace posthorn::tools
