// sendmail_options - parses the sendmail(1) command line
#include "tools/sendmail_options.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <string_view>

#include "tools/command.h"

#include "lib/util/ascii.h"

namespace posthorn::sendmail {
namespace {

using tools::UsageError;

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::uint8_t parseNotify(const std::string& value) {
  const std::string v = util::lower(value);
  if (v == "never") return queue::notify::kNever;
  std::uint8_t bits = 0;
  std::size_t start = 0;
  while (start <= v.size()) {
    const std::size_t comma = std::min(v.find(',', start), v.size());
    const std::string word = trim(std::string_view(v).substr(start, comma - start));
    if (word == "success") bits |= queue::notify::kSuccess;
    else if (word == "failure") bits |= queue::notify::kFailure;
    else if (word == "delay") bits |= queue::notify::kDelay;
    else throw UsageError("-N " + value + ": expected never, or a list of success, failure, delay");
    start = comma + 1;
  }
  return bits;
}

// One option; those that take a value read it from arg.
void apply(Options& o, tools::ArgCursor& arg) {
  switch (arg.option()) {
    case 't': o.extractRecipients = true; break;
    case 'i': o.ignoreDots = true; break;
    case 'v': o.verbose = true; break;
    case 'I': o.mode = Mode::Newaliases; break;
    case 'q':  // -q, -q30m, -qRsite: all mean "run the queue now"
      arg.attachedValue();
      o.mode = Mode::Flush;
      break;
    case 'm': case 'n': case 'U': case 'G': case 'x': break;  // accepted, no effect (as Postfix)
    case 'f':
    case 'r':
      o.senderGiven = true;
      o.sender = stripAngles(trim(arg.value()));
      break;
    case 'F':
      o.fullNameGiven = true;
      o.fullName = arg.value();
      break;
    case 'N': o.notify = parseNotify(arg.value()); break;
    case 'R': {
      const std::string v = arg.value();
      const std::string r = util::lower(v);
      if (r == "full") o.ret = queue::Ret::Full;
      else if (r == "hdrs") o.ret = queue::Ret::Headers;
      else throw UsageError("-R " + v + ": expected full or hdrs");
      break;
    }
    case 'V': o.envid = arg.value(); break;
    case 'B': {
      const std::string v = arg.value();
      const std::string b = util::lower(v);
      if (b == "7bit") o.body = queue::BodyType::SevenBit;
      else if (b == "8bitmime") o.body = queue::BodyType::EightBitMime;
      else throw UsageError("-B " + v + ": expected 7bit or 8bitmime");
      break;
    }
    case 'C':
    case 'c': {
      const std::string v = arg.value();
      struct stat st {};
      std::string dir = v;
      if (::stat(v.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
        const auto slash = v.rfind('/');
        dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : v.substr(0, slash));
      }
      o.configDir = dir;
      break;
    }
    case 'o':
      if (arg.value() == "i") o.ignoreDots = true;  // -oi; every other -oX is ignored, as Postfix does
      break;
    case 'b': {
      const std::string v = arg.value();
      if (v == "m") o.mode = Mode::Deliver;
      else if (v == "s") o.mode = Mode::Smtp;
      else if (v == "p") o.mode = Mode::ListQueue;
      else if (v == "i") o.mode = Mode::Newaliases;
      else throw UsageError("-b" + v + " is not supported (use -bm, -bs, -bp or -bi)");
      break;
    }
    case 'e': case 'h': case 'O': case 'X': case 'p': case 'L': arg.value(); break;  // value ignored
    default: arg.unknown();
  }
}

}  // namespace

std::string stripAngles(const std::string& address) {
  std::string a = trim(address);
  if (a.size() >= 2 && a.front() == '<' && a.back() == '>') a = a.substr(1, a.size() - 2);
  return a;
}

std::vector<std::string> splitAddressList(const std::string& text) {
  std::vector<std::string> out;
  std::string current;
  bool quoted = false;
  int angle = 0, comment = 0;
  auto flush = [&] {
    std::string a = trim(current);
    current.clear();
    // "Name <addr>": the part in angle brackets is the address.
    const auto open = a.rfind('<');
    const auto close = a.rfind('>');
    if (open != std::string::npos && close != std::string::npos && close > open)
      a = a.substr(open + 1, close - open - 1);
    if (!a.empty()) out.push_back(a);
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      current += c;
      if (c == '\\' && i + 1 < text.size()) current += text[++i];
      else if (c == '"') quoted = false;
      continue;
    }
    if (comment > 0) {
      if (c == '(') ++comment;
      else if (c == ')') --comment;
      continue;
    }
    if (c == '"') quoted = true;
    else if (c == '(') { ++comment; continue; }
    else if (c == '<') ++angle;
    else if (c == '>' && angle > 0) --angle;
    else if (c == ',' && angle == 0) {
      flush();
      continue;
    }
    current += c;
  }
  flush();
  return out;
}

Options parseOptions(const std::vector<std::string>& args, const std::string& program) {
  Options o;
  if (program == "mailq") o.mode = Mode::ListQueue;
  else if (program == "newaliases") o.mode = Mode::Newaliases;
  tools::ArgCursor arg(args, {.clusters = true});
  while (arg.next()) apply(o, arg);
  for (const std::string& a : arg.operands())
    for (auto& r : splitAddressList(a)) o.recipients.push_back(r);
  return o;
}

}  // namespace posthorn::sendmail
