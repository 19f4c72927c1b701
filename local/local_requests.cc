// local_requests - the local agent's side of a qmgr connection (see local_requests.h)
#include "local/local_requests.h"

#include <exception>
#include <string>

#include "lib/log/log.h"
#include "lib/proto/delivery_agent.h"
#include "local/local_delivery.h"
#include "local/local_settings.h"

namespace posthorn::local {

namespace {

// Records a copy that exists now; on failure the recipient is deferred and
// the file dropped (its state on disk is unknown).
void markDelivered(ipc::AgentRequest& r, std::uint32_t index, const std::string& address,
                   ipc::DeliveryResult& result) {
  queue::DeliveryReport report;
  report.dsnStatus = result.dsnStatus;
  report.diagnostic = result.text;
  try {
    r.file->markDone(index,
                     result.outcome == ipc::DeliveryOutcome::Delivered
                         ? queue::RecipientState::Delivered
                         : queue::RecipientState::Expanded,
                     report);
  } catch (const std::exception& e) {
    log::error("%s: cannot record delivery to %s: %s", r.request.queueId.c_str(),
               address.c_str(), e.what());
    result.outcome = ipc::DeliveryOutcome::Deferred;
    result.dsnStatus = "4.3.0";
    result.text = std::string("cannot record the delivery: ") + e.what();
    r.file.reset();
    r.openError = result.text;
  }
}

void handle(ipc::AgentRequest& r, LocalDelivery& delivery) {
  for (const auto& rcpt : r.request.recipients) {
    ipc::DeliveryResult result;
    result.index = rcpt.index;
    result.relay = "local";
    result.outcome = ipc::DeliveryOutcome::Deferred;
    result.dsnStatus = "4.3.0";
    if (!r.file) {
      result.text = "cannot open queue file: " + r.openError;
      r.send(result);
      continue;
    }
    if (rcpt.index >= r.file->recipientCount())
      throw ipc::ProtocolError("recipient index " + std::to_string(rcpt.index) + " out of range");
    const queue::Recipient& onDisk = r.file->recipient(rcpt.index);
    if (onDisk.status.done()) {
      // Delivered by an agent whose answer never reached qmgr.
      result.outcome = ipc::DeliveryOutcome::Delivered;
      result.dsnStatus = onDisk.report.dsnStatus.empty() ? "2.0.0" : onDisk.report.dsnStatus;
      result.text = "already delivered";
      r.send(result);
      continue;
    }
    const std::string address = onDisk.address;
    try {
      const Outcome o = delivery.deliver(*r.file, r.request.queueId, address);
      result.outcome = o.outcome;
      result.dsnStatus = o.dsn;
      result.text = o.text;
    } catch (const std::exception& e) {
      result.text = e.what();
    }
    if (result.outcome == ipc::DeliveryOutcome::Delivered ||
        result.outcome == ipc::DeliveryOutcome::Expanded)
      markDelivered(r, rcpt.index, address, result);
    r.send(result);
  }
}

}  // namespace

void serveRequests(ipc::Channel& channel, const Settings& settings, LocalDelivery& delivery) {
  ipc::serveDeliveryRequests(channel, settings.queueDirectory,
                             [&](ipc::AgentRequest& r) { handle(r, delivery); });
}

}  // namespace posthorn::local
