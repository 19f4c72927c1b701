// local - the local delivery agent (see local(8))
//
// master runs it as `local unix - n n - - local`: a private service, not
// chrooted and kept as root (unpriv=n), because it writes into users'
// mailboxes as each user (local/user_privileges.h). It serves one qmgr
// connection at a time; master starts more processes for more
// connections. Per request (lib/proto/proto_delivery.h) it opens the queue file
// for update, delivers each recipient, marks what it delivered in the file
// and then answers for it.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <exception>

#include "local/local_delivery.h"
#include "local/local_settings.h"
#include "lib/address/address_resolver.h"
#include "lib/config/config.h"
#include "lib/ipc/ipc.h"
#include "lib/log/log.h"
#include "lib/proto/proto_delivery.h"
#include "lib/queue/queue_error.h"
#include "lib/queue/queue_file.h"
#include "lib/queue/queue_id.h"
#include "lib/server/server.h"
#include "lib/map/table_lookup.h"
#include "lib/proto/userdb_client.h"

using namespace posthorn;

namespace {

void serve(ipc::Channel& channel, const local::Settings& settings, local::LocalDelivery& delivery) {
  for (;;) {
    ipc::DeliveryRequest request;
    try {
      request = channel.receive<ipc::DeliveryRequest>();
    } catch (const ipc::ChannelClosed&) {
      return;  // qmgr is done with this connection
    }
    // Only a queue file in active/, by its ID: nothing else on the disk.
    const std::string prefix = "active/";
    if (request.queueFile.rfind(prefix, 0) != 0 ||
        !queue::QueueId::isValid(request.queueFile.substr(prefix.size())))
      throw ipc::ProtocolError("bad queue file name \"" + request.queueFile + "\"");
    std::string openError;
    // Another agent may still hold the file (one whose qmgr was killed):
    // wait for it, so that what it delivered is marked before we look.
    auto file = queue::openQueueFileWaiting(settings.queueDirectory + "/" + request.queueFile,
                                            std::chrono::seconds(60), &openError);
    for (const auto& rcpt : request.recipients) {
      ipc::DeliveryResult result;
      result.index = rcpt.index;
      result.relay = "local";
      result.outcome = ipc::DeliveryOutcome::Deferred;
      result.dsnStatus = "4.3.0";
      if (!file) {
        result.text = "cannot open queue file: " + openError;
        channel.send(result);
        continue;
      }
      if (rcpt.index >= file->recipientCount())
        throw ipc::ProtocolError("recipient index " + std::to_string(rcpt.index) + " out of range");
      const queue::Recipient& onDisk = file->recipient(rcpt.index);
      if (onDisk.status.done()) {
        // Delivered by an agent whose answer never reached qmgr.
        result.outcome = ipc::DeliveryOutcome::Delivered;
        result.dsnStatus = onDisk.report.dsnStatus.empty() ? "2.0.0" : onDisk.report.dsnStatus;
        result.text = "already delivered";
        channel.send(result);
        continue;
      }
      try {
        const local::Outcome o = delivery.deliver(*file, request.queueId, onDisk.address);
        result.outcome = o.outcome;
        result.dsnStatus = o.dsn;
        result.text = o.text;
      } catch (const std::exception& e) {
        result.text = e.what();
      }
      // A copy exists now: mark it before saying so.
      if (result.outcome == ipc::DeliveryOutcome::Delivered ||
          result.outcome == ipc::DeliveryOutcome::Expanded) {
        queue::DeliveryReport report;
        report.dsnStatus = result.dsnStatus;
        report.diagnostic = result.text;
        try {
          file->markDone(rcpt.index,
                         result.outcome == ipc::DeliveryOutcome::Delivered
                             ? queue::RecipientState::Delivered
                             : queue::RecipientState::Expanded,
                         report);
        } catch (const std::exception& e) {
          log::error("%s: cannot record delivery to %s: %s", request.queueId.c_str(),
                     onDisk.address.c_str(), e.what());
          result.outcome = ipc::DeliveryOutcome::Deferred;
          result.dsnStatus = "4.3.0";
          result.text = std::string("cannot record the delivery: ") + e.what();
          file.reset();  // its state on disk is unknown now
          openError = result.text;
        }
      }
      channel.send(result);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const auto options = server::Options::fromArgv(argc, argv);
    server::Worker worker(options);
    const local::Settings settings(worker.config());
    address::DirectTableLookup tables;
    address::AddressResolver resolver(worker.config(), tables);
    userdb::UserdbClient users(
        ipc::servicePath(settings.queueDirectory, false, userdb::kUserdbService), "local");
    local::LocalDelivery delivery(settings, resolver, tables, users);

    server::WorkerSettings jail;
    jail.networkFacing = false;  // root, by design: it becomes each user in turn
    jail.clientLimit = 1;        // effective IDs are per process
    jail.maxUse = settings.maxUse;
    jail.maxIdle = settings.maxIdle;
    return worker.run(jail, [&](server::Connection conn) {
      ipc::Channel channel(conn.fd);
      channel.setTimeout(std::chrono::seconds(3600));
      try {
        serve(channel, settings, delivery);
      } catch (const std::exception& e) {
        log::warning("%s: %s", conn.peer.c_str(), e.what());
      }
      conn.done();
    });
  } catch (const config::ConfigError& e) {
    std::fprintf(stderr, "local: %s\n", e.what());
    log::error("%s", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "local: fatal: %s\n", e.what());
    log::error("fatal: %s", e.what());
    return 1;
  }
}
