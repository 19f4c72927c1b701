// bounce_message - writes a delivery status notification (RFC 3464,
// RFC 6522 multipart/report) about some recipients of a queued message
//
//   DsnSettings s{.hostname = "mx.example.com"};
//   DsnRequest r{.kind = ipc::DsnKind::Failure, .queueId = id, .recipients = {0, 2},
//                .to = envelope.sender, .returnFull = false};
//   ContentReader c = reader.content();
//   writeDsn(s, r, reader.envelope(), c.length(),
//            [&](char* b, std::size_t n) { return c.read(b, n); },
//            [&](std::string_view text) { client.write(text); });
//
// The message has three parts: a human-readable text/plain explanation,
// the message/delivery-status (Reporting-MTA, Arrival-Date,
// Original-Envelope-Id; per recipient Final-Recipient, Original-Recipient
// from ORCPT, Action, Status, Remote-MTA, Diagnostic-Code,
// Last-Attempt-Date, Will-Retry-Until for delays), and the original
// message: its header section as text/rfc822-headers, or the whole of it
// as message/rfc822 when returnFull. Lines end in LF (cleanup's storage
// form). Text that came from the network (addresses, diagnostics) is
// stripped of control characters and folded.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/proto/proto_bounce.h"
#include "lib/queue/queue_envelope.h"

namespace posthorn::bounce {

struct DsnSettings {
  std::string hostname;  // Reporting-MTA and From: MAILER-DAEMON@hostname
  std::string mailName;                        // mail_name
  std::chrono::seconds maximalQueueLifetime{};  // maximal_queue_lifetime: Will-Retry-Until
};

struct DsnRequest {
  ipc::DsnKind kind = ipc::DsnKind::Failure;
  std::string queueId;
  std::vector<std::uint32_t> recipients;
  std::string to;           // the DSN's recipient (To:); the original sender as a rule
  bool returnFull = false;  // message/rfc822 (RET=FULL) instead of the headers
  bool postmasterCopy = false;  // a copy for the postmaster: says so in the Subject
  queue::Time now{};            // Date:; the epoch = the current time
};

using ContentSource = std::function<std::size_t(char* buffer, std::size_t size)>;
using Sink = std::function<void(std::string_view text)>;

// Writes the whole DSN to `out`. Recipient indices out of range are
// skipped. Reads `content` to its end only for returnFull (otherwise up to
// the end of the header section).
void writeDsn(const DsnSettings& settings, const DsnRequest& request,
              const queue::Envelope& envelope, const ContentSource& content, const Sink& out);

// Helpers, public for tests.
// "Mon, 23 Nov 2026 16:44:21 +0000" (local time zone).
std::string rfc5322Date(queue::Time time);
// The text with control characters replaced by spaces, folded at white
// space so that lines stay near 78 characters (continuations start with a
// space). `prefixLength` is what precedes text on the first line.
std::string foldField(std::string_view text, std::size_t prefixLength);
// A Diagnostic-Code value: kept when it already says its type
// ("smtp; 550 ..."), else "X-Posthorn; " + text.
std::string diagnosticCode(std::string_view diagnostic);
// "rfc822;a@b" (ORCPT as stored) -> "rfc822; a@b".
std::string typedAddress(std::string_view value);

}  // namespace posthorn::bounce
