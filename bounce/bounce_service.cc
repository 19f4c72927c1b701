// bounce_service - builds and submits one DSN (see bounce_service.h)
#include "bounce/bounce_service.h"

#include <algorithm>
#include <exception>

#include "lib/proto/cleanup_client.h"
#include "lib/config/config.h"
#include "lib/log/log.h"
#include "lib/queue/queue_file_reader.h"
#include "lib/queue/queue_id.h"

namespace posthorn::bounce {

namespace {

bool hasClass(const std::vector<std::string>& classes, const std::string& name) {
  return std::find(classes.begin(), classes.end(), name) != classes.end();
}

// Writes one DSN about `request` to `to` through cleanup.
ipc::CleanupReply submit(const std::string& cleanupSocket, const BounceSettings& settings,
                         const queue::QueueFileReader& reader, DsnRequest dsn,
                         const std::string& marker) {
  const queue::Envelope& env = reader.envelope();
  ipc::CleanupEnvelope out;
  out.sender = "";  // a DSN never causes another one
  out.protocol = "LOCAL";
  out.smtputf8 = env.smtputf8;
  if (env.smtputf8 || env.body == queue::BodyType::EightBitMime)
    out.body = queue::BodyType::EightBitMime;
  out.attributes.push_back({kDsnAttribute, marker});
  ipc::CleanupRecipient rcpt;
  rcpt.address = dsn.to;
  out.recipients.push_back(rcpt);

  cleanup::CleanupClient client(cleanupSocket);
  if (!client.begin(out)) return client.finish();
  queue::ContentReader content = reader.content();
  writeDsn(settings.dsn, dsn, env,
           [&](char* b, std::size_t n) { return content.read(b, n); },
           [&](std::string_view text) { client.write(text); });
  return client.finish();
}

}  // namespace

BounceSettings::BounceSettings(const config::Config& cfg) {
  queueDirectory = cfg.get("queue_directory");
  dsn.hostname = cfg.get("myhostname");
  dsn.mailName = cfg.get("mail_name");
  dsn.maximalQueueLifetime = cfg.getTime("maximal_queue_lifetime");
  bounceSizeLimit = cfg.getSize("bounce_size_limit");
  const auto classes = cfg.getList("notify_classes");
  copyBounces = hasClass(classes, "bounce");
  doubleBounces = hasClass(classes, "2bounce");
  bounceNoticeRecipient = cfg.get("bounce_notice_recipient");
  doubleBounceNoticeRecipient = cfg.get("2bounce_notice_recipient");
}

BounceService::BounceService(const BounceSettings& settings, std::string root,
                             std::string cleanupSocket)
    : settings_(settings), root_(std::move(root)), cleanupSocket_(std::move(cleanupSocket)) {}

ipc::BounceReply BounceService::handle(const ipc::BounceRequest& request) {
  ipc::BounceReply reply;
  // Only a queue file in active/ or deferred/, by its ID.
  const auto slash = request.queueFile.find('/');
  const std::string dir = request.queueFile.substr(0, slash);
  if (slash == std::string::npos || (dir != "active" && dir != "deferred") ||
      !queue::QueueId::isValid(request.queueFile.substr(slash + 1)))
    throw ipc::ProtocolError("bad queue file name \"" + request.queueFile + "\"");
  if (request.recipients.empty()) throw ipc::ProtocolError("no recipients to report on");

  std::unique_ptr<queue::QueueFileReader> reader;
  try {
    reader = std::make_unique<queue::QueueFileReader>(root_ + "/" + request.queueFile);
  } catch (const std::exception& e) {
    reply.text = std::string("cannot read queue file: ") + e.what();
    return reply;
  }
  const queue::Envelope& env = reader->envelope();
  for (std::uint32_t index : request.recipients)
    if (index >= env.recipients.size())
      throw ipc::ProtocolError("recipient index " + std::to_string(index) + " out of range");

  DsnRequest dsn;
  dsn.kind = request.kind;
  dsn.queueId = request.queueId;
  dsn.recipients = request.recipients;
  std::string marker(ipc::dsnKindName(request.kind));
  if (!env.sender.empty()) {
    dsn.to = env.sender;
  } else {
    // The null sender: only a failure, only to the postmaster, never
    // about a report of this kind itself.
    const std::string* was = env.attribute(kDsnAttribute);
    if (request.kind != ipc::DsnKind::Failure || !settings_.doubleBounces ||
        (was && *was == "2bounce")) {
      reply.sent = true;
      reply.text = "null sender: no notification";
      return reply;
    }
    dsn.to = settings_.doubleBounceNoticeRecipient;
    dsn.postmasterCopy = true;
    marker = "2bounce";
  }
  dsn.returnFull = request.kind == ipc::DsnKind::Failure && env.ret == queue::Ret::Full &&
                   !dsn.postmasterCopy && reader->contentLength() <= settings_.bounceSizeLimit;

  const ipc::CleanupReply r = submit(cleanupSocket_, settings_, *reader, dsn, marker);
  if (!r.ok()) {
    reply.text = "cleanup: " + r.line();
    return reply;
  }
  reply.sent = true;
  reply.dsnQueueId = r.queueId;
  log::info("%s: sender %s notification: %s", request.queueId.c_str(),
            std::string(ipc::dsnKindName(request.kind)).c_str(), r.queueId.c_str());

  // The postmaster's copy of a failure DSN: headers only, best effort.
  if (request.kind == ipc::DsnKind::Failure && settings_.copyBounces && !env.sender.empty()) {
    DsnRequest copy = dsn;
    copy.to = settings_.bounceNoticeRecipient;
    copy.postmasterCopy = true;
    copy.returnFull = false;
    const ipc::CleanupReply c = submit(cleanupSocket_, settings_, *reader, copy, "postmaster");
    if (c.ok())
      log::info("%s: postmaster bounce notification: %s", request.queueId.c_str(),
                c.queueId.c_str());
    else
      log::warning("%s: postmaster copy of the bounce not sent: %s", request.queueId.c_str(),
                   c.line().c_str());
  }
  return reply;
}

}  // namespace posthorn::bounce
