// smtp_requests - the smtp agent's side of a qmgr connection (see smtp_requests.h)
#include "smtp/smtp_requests.h"

#include <poll.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <vector>

#include "lib/log/log.h"
#include "lib/proto/delivery_agent.h"
#include "smtp/smtp_delivery.h"

namespace posthorn::smtp {

namespace {

// Waits for qmgr's next request, quitting cached connections as they age.
void waitForRequest(int fd, SmtpDelivery& delivery) {
  for (;;) {
    const auto expiry = delivery.nextExpiry();
    if (!expiry) return;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*expiry - Clock::now());
    pollfd p{fd, POLLIN, 0};
    const int n = ::poll(&p, 1, static_cast<int>(std::max<long long>(0, left.count()) + 1));
    if (n != 0) return;
    delivery.expireCache();
  }
}

}  // namespace

void serveRequests(ipc::Channel& channel, int fd, const std::string& queueRoot,
                   SmtpDelivery& delivery) {
  const auto handle = [&](ipc::AgentRequest& r) {
    std::vector<ipc::DeliveryResult> results;
    if (r.file) {
      try {
        results = delivery.deliver(r.request, *r.file);
      } catch (const ipc::ProtocolError&) {
        throw;
      } catch (const std::exception& e) {
        // A queue file that cannot be read, and such: try again later.
        log::warning("%s: %s", r.request.queueId.c_str(), e.what());
        r.openError = e.what();
        results.clear();
      }
    }
    if (results.empty()) {
      for (const auto& rcpt : r.request.recipients) {
        ipc::DeliveryResult d;
        d.index = rcpt.index;
        d.outcome = ipc::DeliveryOutcome::Deferred;
        d.dsnStatus = "4.3.0";
        d.text = "cannot read queue file: " + r.openError;
        d.relay = "none";
        results.push_back(d);
      }
    }
    r.file.reset();
    for (const auto& d : results) r.send(d);
  };
  ipc::serveDeliveryRequests(channel, queueRoot, handle, [&] { waitForRequest(fd, delivery); });
}

}  // namespace posthorn::smtp
