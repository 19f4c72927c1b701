// mbox_quoter - mboxrd From-quoting over a stream and the From_ line
#include <ctime>

#include "lib/mailbox/mbox_writer.h"

namespace posthorn::mailbox {
namespace {

constexpr char kFrom[] = "From ";
constexpr std::size_t kFromLen = 5;

}  // namespace

void MboxQuoter::feed(const char* data, std::size_t size, std::string& out) {
  for (std::size_t i = 0; i < size; ++i) {
    const char c = data[i];
    sawAny_ = true;
    lastWasNewline_ = c == '\n';
    if (!atLineStart_) {
      out += c;
      if (c == '\n') atLineStart_ = true;
      continue;
    }
    // Still inside a possible ">*From " prefix: hold it back until decided.
    if (matched_ == 0 && c == '>') {
      ++quotes_;
      continue;
    }
    if (c == kFrom[matched_]) {
      if (++matched_ < kFromLen) continue;
      out += '>';  // a whole ">*From ": one more '>'
      out.append(quotes_, '>');
      out.append(kFrom, kFromLen);
      quotes_ = 0;
      matched_ = 0;
      atLineStart_ = false;
      continue;
    }
    // Not a From_ line after all: let the held-back prefix through.
    out.append(quotes_, '>');
    out.append(kFrom, matched_);
    out += c;
    quotes_ = 0;
    matched_ = 0;
    atLineStart_ = c == '\n';
  }
}

void MboxQuoter::finish(std::string& out) {
  out.append(quotes_, '>');
  out.append(kFrom, matched_);
  quotes_ = 0;
  matched_ = 0;
  if (sawAny_ && !lastWasNewline_) out += '\n';
  atLineStart_ = true;
}

std::string mboxFromLine(const std::string& envelopeSender, std::time_t when) {
  std::string sender = envelopeSender.empty() ? "MAILER-DAEMON" : envelopeSender;
  for (char& c : sender) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= ' ' || u == 0x7f) c = '_';
  }
  struct tm tm;
  ::localtime_r(&when, &tm);
  char date[64];
  std::strftime(date, sizeof date, "%a %b %e %H:%M:%S %Y", &tm);
  return "From " + sender + " " + date + "\n";
}

}  // namespace posthorn::mailbox
