// cleanup_message - open, envelope, streamed content, commit, reply
#include "cleanup/cleanup_message.h"

#include <unistd.h>

#include <algorithm>
#include <ctime>

#include "lib/ipc/ipc_stream.h"
#include "lib/log/log.h"
#include "cleanup/cleanup_amend.h"
#include "cleanup/cleanup_envelope.h"
#include "cleanup/cleanup_header_values.h"
#include "lib/queue/qmgr_trigger.h"

namespace posthorn::cleanup {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kWriteErrorText = "Error: queue file write error";
// What a queue file can hold, less room for the headers cleanup adds.
constexpr std::uint64_t kMaxContent = 0xFFFFFFFFull - (1u << 20);

}  // namespace

CleanupMessage::CleanupMessage(const SessionSettings& settings, ipc::Channel& channel,
                               const std::string& peer)
    : settings_(settings), channel_(channel), peer_(peer) {
  limit_ = settings_.messageSizeLimit == 0 ? kMaxContent
                                           : std::min(settings_.messageSizeLimit, kMaxContent);
}

CleanupMessage::~CleanupMessage() = default;

const char* CleanupMessage::id() const { return queueId_.empty() ? "NOQUEUE" : queueId_.c_str(); }

bool CleanupMessage::run(const ipc::Frame& openFrame) {
  deadline_ = Clock::now() + settings_.messageTimeout;
  if (openFrame.fd >= 0) ::close(openFrame.fd);
  const auto open = ipc::decode<ipc::CleanupOpen>(openFrame);
  if ((open.flags & ~ipc::cleanup_flags::kAll) != 0)
    throw ipc::ProtocolError("CleanupOpen: unknown flags " + std::to_string(open.flags));
  flags_ = open.flags;

  try {
    writer_ = std::make_unique<queue::QueueFileWriter>(settings_.incomingDir);
  } catch (const queue::QueueFileError& e) {
    log::warning("cannot create a queue file: %s", e.what());
    return reply({451, "4.3.0", kWriteErrorText});
  }
  queueId_ = writer_->id().str();
  channel_.setTimeout(settings_.ipcTimeout);
  channel_.send(ipc::CleanupOpened{queueId_});

  envelope_ = ipc::decode<ipc::CleanupEnvelope>(receive());
  if (auto problem = checkEnvelope(envelope_))
    fail({554, "5.5.4", "Error: " + *problem}, "invalid envelope from " + peer_ + ": " + *problem);

  const std::time_t now = std::time(nullptr);
  HeaderPolicy policy;
  policy.headerSizeLimit = settings_.headerSizeLimit;
  policy.hopcountLimit = settings_.hopcountLimit;
  policy.messageId = messageIdValue(queueId_, now, settings_.myhostname);
  policy.date = rfc5322Date(now);
  if (flags_ & ipc::cleanup_flags::kLocalSubmission)
    policy.from = fromValue(envelope_.sender, envelope_.fullName, settings_.myhostname);
  policy.extractRecipients = (flags_ & ipc::cleanup_flags::kExtractRecipients) != 0;
  if (!(flags_ & ipc::cleanup_flags::kReinjected)) policy.authservId = settings_.authservId;
  if (settings_.rewriting && settings_.rewriting->rewritesHeaders())
    policy.rewriteField = [this](std::string_view name,
                                 std::string_view field) -> std::optional<std::string> {
      try {
        return settings_.rewriting->rewriteField(name, field);
      } catch (const address::TableLookupError& e) {
        if (headerRewriteError_.empty()) headerRewriteError_ = e.what();
        return std::nullopt;
      }
    };
  if ((flags_ & ipc::cleanup_flags::kSign) && settings_.dkimTable && settings_.dkimSigner)
    dkim_ = std::make_unique<DkimStage>(*settings_.dkimTable, *settings_.dkimSigner, queueId_);
  if ((flags_ & ipc::cleanup_flags::kArcSeal) && settings_.arcSealer)
    arc_ = std::make_unique<ArcStage>(*settings_.arcSealer, settings_.authservId, queueId_);
  filter_ = std::make_unique<HeaderFilter>(std::move(policy), [this](std::string_view out) {
    writer_->appendContent(out);
    if (dkim_) dkim_->feed(out);
    if (arc_) arc_->feed(out);
  });

  receiveContent();
  finishContent();
  commit();
  if (failure_) return reply(*failure_);

  committed_ = true;
  queue::wakeQmgr(settings_.qmgrTrigger);
  log::info("%s: message-id=%s", id(), filter_->messageId().c_str());
  log::info("%s: from=<%s>, size=%llu, nrcpt=%zu (queue active)", id(), envelope_.sender.c_str(),
            static_cast<unsigned long long>(writer_->contentSize()), envelopeRecipients_);
  return reply({250, "2.0.0", "Ok: queued as " + queueId_});
}

ipc::Frame CleanupMessage::receive() {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
  if (left.count() <= 0)
    throw ipc::ChannelTimeout("message not complete within daemon_timeout");
  channel_.setTimeout(std::min<std::chrono::milliseconds>(settings_.ipcTimeout, left));
  ipc::Frame frame = channel_.receiveFrame();
  if (frame.fd >= 0) {
    ::close(frame.fd);
    throw ipc::ProtocolError(ipc::msgTypeName(frame.type) + ": unexpected file descriptor");
  }
  return frame;
}

void CleanupMessage::receiveContent() {
  for (;;) {
    const ipc::Frame frame = receive();
    if (frame.type == static_cast<std::uint32_t>(ipc::MsgType::ContentEnd)) {
      const auto end = ipc::decode<ipc::ContentEnd>(frame);
      if (end.size != received_)
        throw ipc::ProtocolError("ContentEnd says " + std::to_string(end.size) +
                                 " bytes, but " + std::to_string(received_) + " arrived");
      return;
    }
    if (frame.type == static_cast<std::uint32_t>(ipc::MsgType::CleanupAmend)) {
      if (amend_) throw ipc::ProtocolError("a second CleanupAmend");
      amend_ = ipc::decode<ipc::CleanupAmend>(frame);
      continue;
    }
    if (amend_) throw ipc::ProtocolError("content after CleanupAmend");
    if (frame.type != static_cast<std::uint32_t>(ipc::MsgType::ContentChunk))
      throw ipc::ProtocolError(ipc::msgTypeName(frame.type) + " in the middle of the content");
    const auto chunk = ipc::decode<ipc::ContentChunk>(frame);
    if (chunk.data.empty() || chunk.data.size() > ipc::kContentChunk)
      throw ipc::ProtocolError("ContentChunk of " + std::to_string(chunk.data.size()) + " bytes");
    received_ += chunk.data.size();
    if (failure_) continue;  // read to the end, then reply
    if (received_ > limit_) {
      fail({552, "5.3.4", "Error: message file too big"},
           "message size exceeds " + std::to_string(limit_) + " bytes (message_size_limit)");
      continue;
    }
    feed(chunk.data);
  }
}

void CleanupMessage::feed(std::string_view data) {
  try {
    filter_->feed(data);
  } catch (const queue::QueueFileError& e) {
    writeError(e);
    return;
  }
  if (filter_->rejected()) {
    if (filter_->verdict() == HeaderVerdict::TooManyHops)
      fail({554, "5.4.6", "Error: too many hops"}, filter_->rejectDetail());
    else
      fail({552, "5.6.0", "Error: message header too long"}, filter_->rejectDetail());
  }
}

void CleanupMessage::finishContent() {
  if (failure_) return;
  try {
    filter_->finish();
  } catch (const queue::QueueFileError& e) {
    writeError(e);
  }
}

void CleanupMessage::commit() {
  if (failure_) return;
  queue::Envelope envelope = toQueueEnvelope(envelope_, queue::now());
  if (amend_) applyAmend(*amend_, envelope);  // throws ipc::ProtocolError
  // Signed last, after every change; on top of the inbound results.
  if (dkim_) envelope.prependedHeader = dkim_->finish() + envelope.prependedHeader;
  // ARC seals what leaves: the content as queued (a forward prepends nothing else).
  if (arc_) envelope.prependedHeader = arc_->finish() + envelope.prependedHeader;
  if (filter_->removedAuthResults() > 0)
    log::info("%s: removed %d Authentication-Results field(s) claiming authserv-id %s", id(),
              filter_->removedAuthResults(), settings_.authservId.c_str());
  if (flags_ & ipc::cleanup_flags::kExtractRecipients)
    addRecipients(envelope, filter_->extractedRecipients(), settings_.myorigin);
  if (settings_.srs) reverseSrsRecipients(envelope);
  if (settings_.rewriting && !rewriteEnvelope(envelope)) return;
  removeDuplicateRecipients(envelope);
  if (envelope.recipients.empty()) {
    fail({554, "5.5.1", "Error: no recipients specified"}, "no recipients");
    return;
  }
  try {
    writer_->commit(envelope);
  } catch (const queue::QueueFileError& e) {
    writeError(e);
    return;
  }
  envelopeRecipients_ = envelope.recipients.size();
}

bool CleanupMessage::rewriteEnvelope(queue::Envelope& envelope) {
  try {
    if (!headerRewriteError_.empty()) throw address::TableLookupError(headerRewriteError_);
    if (const std::size_t added = settings_.rewriting->rewriteEnvelope(envelope))
      log::info("%s: virtual_alias_maps added %zu recipient(s)", id(), added);
    return true;
  } catch (const address::TableLookupError& e) {
    log::warning("%s: address rewriting table lookup failed: %s", id(), e.what());
    fail({451, "4.3.0", "Error: temporary lookup failure"}, "address rewriting lookup failure");
  } catch (const address::RewriteLimitError& e) {
    log::warning("%s: %s -- message not accepted, try again later", id(), e.what());
    fail({451, "4.3.0", "Error: virtual alias expansion too large or too deep"}, e.what());
  }
  return false;
}

void CleanupMessage::reverseSrsRecipients(queue::Envelope& envelope) {
  for (queue::Recipient& r : envelope.recipients) {
    if (!settings_.srs->isSrsAddress(r.address)) continue;
    std::string why;
    const auto original = settings_.srs->reverse(r.address, std::time(nullptr), &why);
    if (!original) {
      log::info("%s: %s: %s, delivered as addressed", id(), r.address.c_str(), why.c_str());
      continue;
    }
    log::info("%s: SRS address %s is %s", id(), r.address.c_str(), original->c_str());
    if (r.originalAddress.empty()) r.originalAddress = r.address;
    r.address = *original;
  }
}

void CleanupMessage::fail(Outcome outcome, std::string logDetail) {
  if (failure_) return;
  log::info("%s: reject: %s; from=<%s>: %u %s %s", id(), logDetail.c_str(),
            envelope_.sender.c_str(), outcome.code, outcome.status.c_str(), outcome.text.c_str());
  failure_ = std::move(outcome);
  if (writer_) writer_->abort();
}

void CleanupMessage::writeError(const queue::QueueFileError& e) {
  if (failure_) return;
  log::warning("%s: queue file write error: %s", id(), e.what());
  failure_ = Outcome{451, "4.3.0", kWriteErrorText};
  if (writer_) writer_->abort();
}

bool CleanupMessage::reply(const Outcome& outcome) {
  ipc::CleanupReply r;
  r.code = outcome.code;
  r.status = outcome.status;
  r.text = outcome.text;
  r.queueId = queueId_;
  channel_.setTimeout(settings_.ipcTimeout);
  channel_.send(r);
  return true;
}

}  // namespace posthorn::cleanup
