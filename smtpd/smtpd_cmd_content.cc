// smtpd_cmd_content - DATA and BDAT: the message content on its way to cleanup
//
// The cleanup session opens at DATA or at the first BDAT chunk, with the
// whole envelope; cleanup assigns the queue ID then, so the Received:
// header that starts the content can name it. Content goes to cleanup in
// pieces of about kFlushSize bytes as it arrives: nothing holds a whole
// message. When the content has to be refused (too big, a bare newline
// under smtpd_forbid_bare_newline = reject, cleanup gone) the cleanup
// session is aborted at once, so no queue file remains, and the rest of
// the content is read and dropped until its end, where the client gets the
// refusal. A connection lost before the end aborts the session the same way.
#include <cctype>
#include <ctime>

#include "lib/log/log.h"
#include "smtpd/smtpd_received.h"
#include "smtpd/smtpd_session.h"

namespace posthorn::smtpd {

namespace {

const Reply kTooBig(552, "5.3.4", "Error: message file too big");
const Reply kBareLf(550, "5.5.2", "Error: bare <LF> received");
const Reply kBareCr(550, "5.5.2", "Error: bare <CR> received");

}  // namespace

std::optional<Reply> Session::contentStateError() const {
  if (!tx_.active) return Reply(503, "5.5.1", "Error: need RCPT command");
  if (tx_.recipients.empty()) return Reply(554, "5.5.1", "Error: no valid recipients");
  return std::nullopt;
}

bool Session::openSink() {
  if (policy_.restrictions().anyAt(CheckStage::Data)) {
    CheckVerdict v = runChecks(checkRequest(CheckStage::Data), "");
    if (v.refusal) {
      tx_.failure = v.refusal;
      return false;
    }
    applyVerdict(v);
  }
  queue::Envelope env;
  env.sender = tx_.sender;
  env.arrival = queue::now();
  env.envid = tx_.params.envid;
  env.ret = tx_.params.ret;
  env.body = tx_.params.body;
  env.smtputf8 = tx_.params.smtputf8;
  env.auth = tx_.params.auth;
  env.client.address = peer_.address;
  env.client.name = peer_.name;
  env.client.helo = helo_;
  env.client.protocol = protocol();
  if (tls_) {
    env.client.tlsProtocol = tls_->protocol;
    env.client.tlsCipher = tls_->cipher;
  }
  env.client.saslMethod = saslMethod_;
  env.client.saslUsername = saslUser_;
  env.recipients = tx_.recipients;
  if (!tx_.redirect.empty()) {  // REDIRECT: one recipient instead of all
    queue::Recipient r;
    r.address = tx_.redirect;
    r.originalAddress = tx_.redirect;
    env.recipients = {r};
  }
  try {
    tx_.sink = sinks_.open(env, !saslUser_.empty() || trusted());
  } catch (const SinkError& e) {
    log::warning("%s: cannot open a cleanup session: %s", peer_.describe().c_str(), e.what());
    tx_.failure = e.reply();
    return false;
  }
  tx_.queueId = tx_.sink->queueId();
  if (saslUser_.empty()) {
    log::info("%s: client=%s", tx_.queueId.c_str(), peer_.describe().c_str());
  } else {
    log::info("%s: client=%s, sasl_method=%s, sasl_username=%s", tx_.queueId.c_str(),
              peer_.describe().c_str(), saslMethod_.c_str(), saslUser_.c_str());
  }

  ReceivedInfo info;
  info.helo = helo_;
  info.clientName = peer_.name;
  info.clientAddress = peer_.address;
  if (tls_) info.tls = tls_->description;
  info.myhostname = settings_.myhostname;
  info.mailName = settings_.mailName;
  info.protocol = protocol();
  info.queueId = tx_.queueId;
  if (tx_.recipients.size() == 1) info.recipient = tx_.recipients.front().address;
  info.when = std::time(nullptr);
  pending_ = receivedHeader(info);
  tx_.ownHeaderBytes = pending_.size();
  startSenderChecks();
  return true;
}

void Session::failContent(const Reply& r) {
  if (tx_.failure) return;
  tx_.failure = r;
  if (tx_.sink) {
    tx_.sink->abort();
    tx_.sink.reset();
  }
  pending_.clear();
}

void Session::flushPending(bool force) {
  if (tx_.failure) {
    pending_.clear();
    return;
  }
  if (pending_.empty() || (!force && pending_.size() < kFlushSize)) return;
  if (tx_.check) {  // the client's content only, not our Received:
    tx_.check->feed(std::string_view(pending_).substr(tx_.ownHeaderBytes));
    tx_.ownHeaderBytes = 0;
  }
  try {
    tx_.sink->write(pending_);
    pending_.clear();
  } catch (const SinkError& e) {
    log::warning("%s: %s: cleanup write failed: %s", tx_.queueId.c_str(),
                 peer_.describe().c_str(), e.what());
    failContent(e.reply());
  }
}

// smtpd_end_of_data_restrictions, then the sender checks; the header
// fields PREPEND actions asked for go on top.
std::optional<Reply> Session::endOfDataRefusal(ipc::CleanupAmend& amend) {
  if (policy_.restrictions().anyAt(CheckStage::EndOfData)) {
    CheckVerdict v = policy_.restrictions().check(checkRequest(CheckStage::EndOfData));
    if (v.refusal) return v.refusal;
    for (const auto& [action, text] : v.notes) logAction(action, "END-OF-MESSAGE", text, "");
    applyVerdict(v);
  }
  if (std::optional<Reply> refused = judgeSender(amend)) return refused;
  amendWithActions(amend);
  return std::nullopt;
}

void Session::finishContent() {
  Reply r(250, "2.0.0", "Ok");
  ipc::CleanupAmend amend;
  if (!tx_.failure) flushPending(true);
  if (tx_.failure) {
    r = *tx_.failure;
    if (r.code == kTooBig.code || r.code == kBareLf.code)
      logReject("END-OF-MESSAGE", r, "");
  } else if (const std::optional<Reply> refused = endOfDataRefusal(amend)) {
    r = *refused;
    tx_.sink->abort();  // nothing queued
    tx_.sink.reset();
    logReject("END-OF-MESSAGE", r, "");
  } else if (tx_.discard) {  // DISCARD: the client is told it was accepted
    tx_.sink->abort();
    tx_.sink.reset();
    log::info("%s: discarded as an access restriction asked", tx_.queueId.c_str());
  } else {
    try {
      r = tx_.sink->finish(amend);
    } catch (const SinkError& e) {
      log::warning("%s: %s: cleanup did not confirm the message: %s", tx_.queueId.c_str(),
                   peer_.describe().c_str(), e.what());
      r = e.reply();
    }
    tx_.sink.reset();  // finished: never aborted afterwards
  }
  resetTransaction();
  reply(r);
  // Postfix: the error count starts over once mail was accepted.
  if (r.positive()) errors_ = 0;
}

// --------------------------------------------------------------- DATA

void Session::cmdData(std::string_view args) {
  if (args.find_first_not_of(" \t") != std::string_view::npos) {
    reply(Reply(501, "5.5.4", "Syntax: DATA"));
    return;
  }
  if (auto error = contentStateError()) {
    reply(*error);
    return;
  }
  if (tx_.bdat) {
    reply(Reply(503, "5.5.1", "Error: DATA after BDAT"));
    return;
  }
  if (tx_.params.body == queue::BodyType::BinaryMime) {
    reply(Reply(503, "5.5.1", "Error: BODY=BINARYMIME requires BDAT"));
    return;
  }
  if (!openSink()) {
    const Reply r = *tx_.failure;
    resetTransaction();
    reply(r);
    return;
  }
  const bool reject = settings_.bareNewline == BareNewline::Reject &&
                      !policy_.bareNewlineExcluded(peer_.address);
  dataReader_ = std::make_unique<DataReader>(reject ? BareNewline::Reject : BareNewline::Normalize);
  mode_ = Mode::Data;
  intermediate(Reply(354, "", "End data with <CR><LF>.<CR><LF>"));
}

void Session::dataStep() {
  const std::string_view avail(in_.data() + inPos_, in_.size() - inPos_);
  const std::uint64_t before = dataReader_->size();
  const std::size_t used = dataReader_->feed(avail, pending_);
  inPos_ += used;
  tx_.size += dataReader_->size() - before;
  if (!tx_.failure) {
    if (settings_.messageSizeLimit > 0 && tx_.size > settings_.messageSizeLimit) {
      log::info("%s: %s: message exceeds message_size_limit (%llu bytes)",
                tx_.queueId.c_str(), peer_.describe().c_str(),
                static_cast<unsigned long long>(settings_.messageSizeLimit));
      failContent(kTooBig);
    } else if (dataReader_->violation()) {
      log::info("%s: bare <%s> received from %s", tx_.queueId.c_str(),
                dataReader_->sawBareLf() ? "LF" : "CR", peer_.describe().c_str());
      failContent(dataReader_->sawBareLf() ? kBareLf : kBareCr);
    }
  }
  const bool done = dataReader_->done();
  flushPending(done);
  if (!done) return;
  dataReader_.reset();
  mode_ = Mode::Command;
  lastCommand_ = "END-OF-MESSAGE";
  pendingStat_ = "data";
  finishContent();
}

// --------------------------------------------------------------- BDAT

void Session::cmdBdat(std::string_view args) {
  // "BDAT size [LAST]" (RFC 3030).
  std::string_view rest = args;
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  std::size_t i = 0;
  while (i < rest.size() && std::isdigit(static_cast<unsigned char>(rest[i]))) ++i;
  std::string_view count = rest.substr(0, i);
  std::string_view tail = rest.substr(i);
  while (!tail.empty() && tail.front() == ' ') tail.remove_prefix(1);
  while (!tail.empty() && tail.back() == ' ') tail.remove_suffix(1);
  bool last = false;
  bool ok = !count.empty() && count.size() <= 18 && (i == rest.size() || rest[i] == ' ');
  if (ok && !tail.empty()) {
    ok = tail.size() == 4 && (tail[0] | 0x20) == 'l' && (tail[1] | 0x20) == 'a' &&
         (tail[2] | 0x20) == 's' && (tail[3] | 0x20) == 't';
    last = ok;
  }
  if (!ok) {
    // The chunk's length is unknown, so its bytes cannot be told from the
    // next command: the only safe way on is to hang up.
    log::info("BDAT syntax error from %s: hanging up", peer_.describe().c_str());
    reply(Reply(501, "5.5.4", "Syntax: BDAT count [LAST]"));
    closeSession();
    return;
  }
  bdatRemaining_ = std::stoull(std::string(count));
  bdatLast_ = last;
  bdatStateError_.reset();
  bdatChunkSize_ = bdatRemaining_;
  if (auto error = contentStateError()) {
    bdatStateError_ = error;
  } else if (!tx_.bdat) {
    tx_.bdat = true;
    openSink();  // a failure is kept in tx_.failure and reported after the chunk
  }
  mode_ = Mode::Bdat;
  if (bdatRemaining_ == 0) endBdatChunk();
}

void Session::bdatStep() {
  const std::size_t avail = in_.size() - inPos_;
  const std::size_t take =
      static_cast<std::size_t>(std::min<std::uint64_t>(bdatRemaining_, avail));
  if (!bdatStateError_ && !tx_.failure) {
    tx_.size += take;
    if (settings_.messageSizeLimit > 0 && tx_.size > settings_.messageSizeLimit) {
      log::info("%s: %s: message exceeds message_size_limit (%llu bytes)",
                tx_.queueId.c_str(), peer_.describe().c_str(),
                static_cast<unsigned long long>(settings_.messageSizeLimit));
      failContent(kTooBig);
    } else {
      pending_.append(in_, inPos_, take);
      flushPending(false);
    }
  }
  inPos_ += take;
  bdatRemaining_ -= take;
  if (bdatRemaining_ == 0) endBdatChunk();
}

void Session::endBdatChunk() {
  mode_ = Mode::Command;
  pendingStat_ = "bdat";
  if (bdatStateError_) {
    const Reply r = *bdatStateError_;
    bdatStateError_.reset();
    reply(r);
    return;
  }
  if (bdatLast_) {
    lastCommand_ = "BDAT";
    finishContent();
    return;
  }
  if (tx_.failure) {
    reply(*tx_.failure);
    return;
  }
  reply(Reply(250, "2.0.0", "Ok: " + std::to_string(bdatChunkSize_) + " bytes"));
}

}  // namespace posthorn::smtpd
