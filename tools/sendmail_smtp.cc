// sendmail_smtp - the -bs session: commands, DATA with dot-unstuffing
#include "tools/sendmail_smtp.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string_view>
#include <utility>

#include "lib/proto/proto_cleanup.h"
#include "lib/util/ascii.h"
#include "tools/sendmail_options.h"

namespace posthorn::sendmail {
namespace {

constexpr std::size_t kCommandMax = 2048;
constexpr std::size_t kDataPiece = 64 * 1024;
constexpr int kErrorLimit = 20;

// "<addr> PARAM=x ..." -> the address and the rest; false when malformed.
bool splitPath(std::string_view args, std::string* address, std::string* params) {
  while (!args.empty() && args.front() == ' ') args.remove_prefix(1);
  if (args.empty()) return false;
  if (args.front() == '<') {
    const auto close = args.find('>');
    if (close == std::string_view::npos) return false;
    *address = std::string(args.substr(1, close - 1));
    *params = std::string(args.substr(close + 1));
  } else {
    const auto space = args.find(' ');
    *address = std::string(args.substr(0, space));
    *params = space == std::string_view::npos ? "" : std::string(args.substr(space + 1));
  }
  for (char c : *address)
    if (static_cast<unsigned char>(c) < 0x20 || c == ' ' || c == 0x7f) return false;
  return true;
}

}  // namespace

LocalSmtpSession::LocalSmtpSession(std::FILE* in, std::FILE* out, SmtpSettings settings)
    : in_(in), out_(out), settings_(std::move(settings)) {}

LocalSmtpSession::Line LocalSmtpSession::readLine(std::string* line, std::size_t max) {
  line->clear();
  for (;;) {
    const int c = std::getc(in_);
    if (c == EOF) return line->empty() ? Line::Eof : Line::Complete;
    if (c == '\n') {
      if (!line->empty() && line->back() == '\r') line->pop_back();
      return Line::Complete;
    }
    line->push_back(static_cast<char>(c));
    if (line->size() >= max) return Line::Partial;
  }
}

void LocalSmtpSession::reply(const std::string& text) {
  std::fputs(text.c_str(), out_);
  std::fputs("\r\n", out_);
  std::fflush(out_);
}

int LocalSmtpSession::run() {
  reply("220 " + settings_.myhostname + " ESMTP " + settings_.mailName);
  std::string line;
  while (!quit_) {
    const Line got = readLine(&line, kCommandMax);
    if (got == Line::Eof) break;
    if (got == Line::Partial) {
      while (readLine(&line, kCommandMax) == Line::Partial) {
      }
      reply("500 5.5.2 Error: line too long");
      ++errors_;
    } else {
      command(line);
    }
    if (errors_ >= kErrorLimit) {
      reply("421 4.7.0 " + settings_.myhostname + " Error: too many errors");
      break;
    }
  }
  return 0;
}

void LocalSmtpSession::command(const std::string& line) {
  const std::string verb = util::upper(line.substr(0, line.find(' ')));
  const std::string args = line.size() > verb.size() ? line.substr(verb.size() + 1) : "";
  if (verb == "EHLO" || verb == "HELO") {
    if (args.empty()) {
      reply("501 5.5.4 Syntax: " + verb + " hostname");
      ++errors_;
      return;
    }
    helo_ = args;
    esmtp_ = verb == "EHLO";
    reset();
    if (!esmtp_) {
      reply("250 " + settings_.myhostname);
      return;
    }
    reply("250-" + settings_.myhostname);
    reply("250-PIPELINING");
    if (settings_.messageSizeLimit > 0) reply("250-SIZE " + std::to_string(settings_.messageSizeLimit));
    reply("250-8BITMIME");
    reply("250 ENHANCEDSTATUSCODES");
  } else if (verb == "MAIL") {
    mail(args);
  } else if (verb == "RCPT") {
    rcpt(args);
  } else if (verb == "DATA") {
    data();
  } else if (verb == "RSET") {
    reset();
    reply("250 2.0.0 Ok");
  } else if (verb == "NOOP") {
    reply("250 2.0.0 Ok");
  } else if (verb == "VRFY") {
    reply("252 2.0.0 Send mail and find out");
  } else if (verb == "QUIT") {
    reply("221 2.0.0 Bye");
    quit_ = true;
  } else {
    reply("502 5.5.2 Error: command not recognized");
    ++errors_;
  }
}

void LocalSmtpSession::reset() {
  haveSender_ = false;
  sender_.clear();
  body_ = queue::BodyType::Unspecified;
  recipients_.clear();
}

void LocalSmtpSession::mail(const std::string& args) {
  if (haveSender_) {
    reply("503 5.5.1 Error: nested MAIL command");
    ++errors_;
    return;
  }
  std::string address, params;
  if (!util::startsWithIgnoreCase(args, "FROM:") || !splitPath(args.substr(5), &address, &params)) {
    reply("501 5.5.4 Syntax: MAIL FROM:<address>");
    ++errors_;
    return;
  }
  body_ = queue::BodyType::Unspecified;
  std::string_view rest(params);
  while (!rest.empty()) {
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    if (rest.empty()) break;
    const auto space = rest.find(' ');
    const std::string param = util::upper(rest.substr(0, space));
    rest = space == std::string_view::npos ? std::string_view() : rest.substr(space);
    if (param.rfind("SIZE=", 0) == 0) {
      const unsigned long long size = std::strtoull(param.c_str() + 5, nullptr, 10);
      if (settings_.messageSizeLimit > 0 && size > settings_.messageSizeLimit) {
        reply("552 5.3.4 Message size exceeds fixed limit");
        return;
      }
    } else if (param == "BODY=7BIT") {
      body_ = queue::BodyType::SevenBit;
    } else if (param == "BODY=8BITMIME") {
      body_ = queue::BodyType::EightBitMime;
    } else {
      reply("555 5.5.4 Unsupported option: " + param);
      ++errors_;
      return;
    }
  }
  haveSender_ = true;
  sender_ = address;
  reply("250 2.1.0 Ok");
}

void LocalSmtpSession::rcpt(const std::string& args) {
  if (!haveSender_) {
    reply("503 5.5.1 Error: need MAIL command");
    ++errors_;
    return;
  }
  std::string address, params;
  if (!util::startsWithIgnoreCase(args, "TO:") || !splitPath(args.substr(3), &address, &params) ||
      address.empty()) {
    reply("501 5.5.4 Syntax: RCPT TO:<address>");
    ++errors_;
    return;
  }
  if (recipients_.size() >= settings_.recipientLimit) {
    reply("452 4.5.3 Error: too many recipients");
    return;
  }
  recipients_.push_back(address);
  reply("250 2.1.5 Ok");
}

void LocalSmtpSession::data() {
  if (!haveSender_) {
    reply("503 5.5.1 Error: need MAIL command");
    ++errors_;
    return;
  }
  if (recipients_.empty()) {
    reply("503 5.5.1 Error: need RCPT command");
    ++errors_;
    return;
  }
  maildrop::MaildropHeader header;
  header.flags = ipc::cleanup_flags::kLocalSubmission;
  header.envelope.sender = sender_;
  header.envelope.body = body_;
  header.envelope.helo = helo_;
  header.envelope.protocol = esmtp_ ? "ESMTP" : "SMTP";
  for (const auto& r : recipients_) {
    ipc::CleanupRecipient rcpt;
    rcpt.address = r;
    header.envelope.recipients.push_back(rcpt);
  }
  PostdropPipe postdrop(settings_.postdrop);
  const bool started = postdrop.start(header);
  reply("354 End data with <CR><LF>.<CR><LF>");
  std::string line;
  bool lineStart = true, ended = false;
  for (;;) {
    const Line got = readLine(&line, kDataPiece);
    if (got == Line::Eof) break;
    if (lineStart && got == Line::Complete && line == ".") {
      ended = true;
      break;
    }
    std::string_view piece(line);
    if (lineStart && !piece.empty() && piece.front() == '.') piece.remove_prefix(1);
    if (started) {
      postdrop.write(piece);
      if (got == Line::Complete) postdrop.write("\n");
    }
    lineStart = got == Line::Complete;
  }
  if (!ended) {  // the client went away: no message
    if (started) postdrop.abandon();
    quit_ = true;
    return;
  }
  const PostdropResult r = started ? postdrop.finish() : PostdropResult{EX_OSERR, "", postdrop.error()};
  reset();
  if (r.exitCode == EX_OK)
    reply("250 2.0.0 Ok: queued as " + r.queueId);
  else if (r.exitCode == EX_CANTCREAT)
    reply("552 5.3.4 Error: message file too big");
  else
    reply("451 4.3.0 Error: queue file write error");
}

}  // namespace posthorn::sendmail
