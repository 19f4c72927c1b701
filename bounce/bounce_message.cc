// bounce_message - composes a DSN (see bounce_message.h)
#include "bounce/bounce_message.h"

#include <time.h>

#include <cctype>
#include <cstdio>

namespace posthorn::bounce {

namespace {

bool isAscii(std::string_view s) {
  for (unsigned char c : s)
    if (c >= 0x80) return false;
  return true;
}

std::string clean(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) out += (c < 0x20 || c == 0x7f) ? ' ' : static_cast<char>(c);
  return out;
}

// "rfc822; a@b", or "utf-8; a@b" for an internationalised address (RFC 6533).
std::string finalRecipient(std::string_view address) {
  return std::string(isAscii(address) ? "rfc822; " : "utf-8; ") + clean(address);
}

std::string actionOf(ipc::DsnKind kind, queue::RecipientState state) {
  switch (kind) {
    case ipc::DsnKind::Failure: return "failed";
    case ipc::DsnKind::Delay: return "delayed";
    case ipc::DsnKind::Success:
      if (state == queue::RecipientState::Relayed) return "relayed";
      if (state == queue::RecipientState::Expanded) return "expanded";
      return "delivered";
  }
  return "failed";
}

std::string defaultStatus(ipc::DsnKind kind) {
  switch (kind) {
    case ipc::DsnKind::Failure: return "5.0.0";
    case ipc::DsnKind::Delay: return "4.0.0";
    case ipc::DsnKind::Success: return "2.0.0";
  }
  return "5.0.0";
}

// A status code is d.ddd.ddd; anything else is replaced.
bool validStatus(std::string_view s) {
  int dots = 0;
  std::size_t run = 0;
  if (s.empty() || (s[0] != '2' && s[0] != '4' && s[0] != '5')) return false;
  for (char c : s) {
    if (c == '.') {
      if (run == 0) return false;
      ++dots;
      run = 0;
    } else if (std::isdigit(static_cast<unsigned char>(c)) && run < 3) {
      ++run;
    } else {
      return false;
    }
  }
  return dots == 2 && run > 0;
}

std::string subjectOf(const DsnRequest& r) {
  std::string s;
  switch (r.kind) {
    case ipc::DsnKind::Failure: s = "Undelivered Mail Returned to Sender"; break;
    case ipc::DsnKind::Delay: s = "Delayed Mail (still being retried)"; break;
    case ipc::DsnKind::Success: s = "Successful Mail Delivery Report"; break;
  }
  return r.postmasterCopy ? "Postmaster Copy: " + s : s;
}

std::string introOf(const DsnSettings& settings, const DsnRequest& r, const std::string& until) {
  std::string t = "This is the mail system at host " + settings.hostname + ".\n\n";
  switch (r.kind) {
    case ipc::DsnKind::Failure:
      t += "Your message could not be delivered to one or more of its recipients;\n"
           "the mail system has given up on them. The reasons are below, and the\n"
           "delivery report that follows says the same for programs.\n\n"
           "For help, write to postmaster and include this report.\n";
      break;
    case ipc::DsnKind::Delay:
      t += "This is a warning only; you do not need to send your message again.\n\n"
           "Your message could not yet be delivered to the recipients below. The\n"
           "mail system keeps trying until " + until + ".\n";
      break;
    case ipc::DsnKind::Success:
      t += "Your message was delivered to the recipients below, as you asked to\n"
         "be told (NOTIFY=SUCCESS). For a recipient whose next mail system does\n"
         "not report deliveries, \"relayed\" means that it was handed over and\n"
         "nothing more will be heard of it.\n";
      break;
  }
  return t;
}

// One "Name: value" field, folded.
std::string field(std::string_view name, std::string_view value) {
  return std::string(name) + ": " + foldField(value, name.size() + 2) + "\n";
}

// Streams the original: all of it, or its header section up to the
// blank line (without it).
void copyOriginal(const ContentSource& content, bool whole, const Sink& out) {
  char buf[16384];
  bool atLineStart = true;
  for (;;) {
    const std::size_t n = content(buf, sizeof buf);
    if (n == 0) break;
    if (whole) {
      out(std::string_view(buf, n));
      atLineStart = buf[n - 1] == '\n';
      continue;
    }
    // Headers only: stop at the first empty line.
    std::size_t i = 0;
    for (; i < n; ++i) {
      if (buf[i] == '\n' && atLineStart) break;
      atLineStart = buf[i] == '\n';
    }
    out(std::string_view(buf, i));
    if (i < n) return;
  }
  if (!atLineStart) out("\n");
}

}  // namespace

std::string rfc5322Date(queue::Time time) {
  const auto seconds = std::chrono::time_point_cast<std::chrono::seconds>(time);
  const std::time_t t = std::chrono::system_clock::to_time_t(seconds);
  struct tm tm {};
  ::localtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S %z", &tm);
  return buf;
}

std::string foldField(std::string_view text, std::size_t prefixLength) {
  const std::string value = clean(text);
  std::string out;
  std::size_t lineLength = prefixLength;
  std::size_t i = 0;
  while (i < value.size()) {
    // The next word with the white space before it.
    std::size_t j = i;
    while (j < value.size() && value[j] == ' ') ++j;
    while (j < value.size() && value[j] != ' ') ++j;
    const std::string_view word(value.data() + i, j - i);
    if (lineLength + word.size() > 78 && lineLength > 1 && word.front() == ' ') {
      out += "\n";
      lineLength = 0;
    }
    out += word;
    lineLength += word.size();
    i = j;
  }
  return out;
}

std::string diagnosticCode(std::string_view diagnostic) {
  const std::size_t semi = diagnostic.find(';');
  bool typed = semi != std::string_view::npos && semi > 0 && semi < 32 &&
               std::isalpha(static_cast<unsigned char>(diagnostic[0]));
  for (std::size_t i = 0; typed && i < semi; ++i) {
    const unsigned char c = static_cast<unsigned char>(diagnostic[i]);
    if (!std::isalnum(c) && c != '-') typed = false;
  }
  if (typed) {
    std::string rest(diagnostic.substr(semi + 1));
    while (!rest.empty() && rest.front() == ' ') rest.erase(0, 1);
    return std::string(diagnostic.substr(0, semi)) + "; " + rest;
  }
  return "X-Posthorn; " + std::string(diagnostic);
}

std::string typedAddress(std::string_view value) {
  const std::size_t semi = value.find(';');
  if (semi == std::string_view::npos) return "rfc822; " + clean(value);
  std::string rest(value.substr(semi + 1));
  while (!rest.empty() && rest.front() == ' ') rest.erase(0, 1);
  return clean(value.substr(0, semi)) + "; " + clean(rest);
}

void writeDsn(const DsnSettings& settings, const DsnRequest& request,
              const queue::Envelope& envelope, const ContentSource& content, const Sink& out) {
  const queue::Time now = request.now == queue::Time{} ? queue::now() : request.now;
  const auto micros = now.time_since_epoch().count();
  const std::string boundary = request.queueId + "." + std::to_string(micros) + "/" +
                               settings.hostname;
  const bool eightBit = envelope.smtputf8 || envelope.body == queue::BodyType::EightBitMime ||
                        !isAscii(request.to);

  std::string h;
  h += "From: MAILER-DAEMON@" + settings.hostname + " (Mail Delivery System)\n";
  h += field("To", request.to.empty() ? "postmaster" : request.to);
  h += field("Subject", subjectOf(request));
  h += "Date: " + rfc5322Date(now) + "\n";
  h += "Message-ID: <" + std::to_string(micros) + "." + request.queueId + "." +
       std::string(ipc::dsnKindName(request.kind)) + "@" + settings.hostname + ">\n";
  h += "Auto-Submitted: auto-replied\n";
  h += "MIME-Version: 1.0\n";
  h += "Content-Type: multipart/report; report-type=delivery-status;\n"
       "\tboundary=\"" + boundary + "\"\n";
  if (eightBit) h += "Content-Transfer-Encoding: 8bit\n";
  h += "\nThis is a MIME-encapsulated message.\n\n";

  // Part 1: for people.
  h += "--" + boundary + "\n";
  h += "Content-Description: Notification\n";
  h += std::string("Content-Type: text/plain; charset=") + (eightBit ? "utf-8" : "us-ascii") +
       "\n\n";
  const std::string until = rfc5322Date(envelope.arrival + settings.maximalQueueLifetime);
  h += introOf(settings, request, until) + "\n";
  for (std::uint32_t index : request.recipients) {
    if (index >= envelope.recipients.size()) continue;
    const queue::Recipient& r = envelope.recipients[index];
    std::string line = "<" + clean(r.address) + ">";
    if (!r.originalAddress.empty() && r.originalAddress != r.address)
      line += " (expanded from <" + clean(r.originalAddress) + ">)";
    line += ": ";
    std::string why = r.report.diagnostic;
    if (why.empty()) why = request.kind == ipc::DsnKind::Success ? "delivered" : "no reason given";
    h += line + foldField(why, line.size()) + "\n\n";
  }

  // Part 2: for programs (RFC 3464).
  h += "--" + boundary + "\n";
  h += "Content-Description: Delivery report\n";
  h += std::string("Content-Type: message/") +
       (eightBit ? "global-delivery-status" : "delivery-status") + "\n\n";
  h += "Reporting-MTA: dns; " + settings.hostname + "\n";
  h += "X-Posthorn-Queue-ID: " + request.queueId + "\n";
  if (!envelope.envid.empty()) h += field("Original-Envelope-Id", envelope.envid);
  h += field("X-Posthorn-Sender", finalRecipient(envelope.sender));
  if (envelope.arrival != queue::Time{}) h += "Arrival-Date: " + rfc5322Date(envelope.arrival) + "\n";
  for (std::uint32_t index : request.recipients) {
    if (index >= envelope.recipients.size()) continue;
    const queue::Recipient& r = envelope.recipients[index];
    h += "\n";
    h += field("Final-Recipient", finalRecipient(r.address));
    if (!r.orcpt.empty()) h += field("Original-Recipient", typedAddress(r.orcpt));
    h += "Action: " + actionOf(request.kind, r.status.state) + "\n";
    const std::string& status = r.report.dsnStatus;
    std::string shown = validStatus(status) ? status : defaultStatus(request.kind);
    // The class must agree with the action.
    shown[0] = defaultStatus(request.kind)[0];
    h += "Status: " + shown + "\n";
    if (!r.report.remoteMta.empty()) h += field("Remote-MTA", typedAddress(r.report.remoteMta));
    if (!r.report.diagnostic.empty())
      h += field("Diagnostic-Code", diagnosticCode(r.report.diagnostic));
    if (r.report.time != queue::Time{})
      h += "Last-Attempt-Date: " + rfc5322Date(r.report.time) + "\n";
    if (request.kind == ipc::DsnKind::Delay)
      h += "Will-Retry-Until: " + until + "\n";
  }
  h += "\n";

  // Part 3: the original message, or its headers.
  h += "--" + boundary + "\n";
  if (request.returnFull) {
    h += "Content-Description: Undelivered Message\n";
    h += std::string("Content-Type: message/") + (envelope.smtputf8 ? "global" : "rfc822") + "\n";
  } else {
    h += std::string("Content-Description: ") +
         (request.kind == ipc::DsnKind::Failure ? "Undelivered Message Headers" : "Message Headers") +
         "\n";
    h += std::string("Content-Type: text/") +
         (envelope.smtputf8 ? "global-headers" : "rfc822-headers") + "\n";
  }
  if (eightBit) h += "Content-Transfer-Encoding: 8bit\n";
  h += "\n";
  out(h);
  copyOriginal(content, request.returnFull, out);
  out("\n--" + boundary + "--\n");
}

}  // namespace posthorn::bounce
