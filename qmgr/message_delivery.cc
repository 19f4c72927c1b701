// message_delivery - routes, delivers and records one message (see
// message_delivery.h)
#include "qmgr/message_delivery.h"

#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

#include "lib/address/address.h"
#include "lib/address/address_resolver.h"
#include "lib/log/log.h"
#include "lib/queue/queue_dirs.h"
#include "lib/queue/queue_error.h"
#include "lib/queue/queue_file.h"
#include "lib/queue/queue_id.h"

namespace posthorn::qmgr {

namespace {

using Clock = std::chrono::system_clock;

std::chrono::sys_seconds nowSeconds() {
  return std::chrono::time_point_cast<std::chrono::seconds>(Clock::now());
}

// A delay as Postfix logs it ("0.07", "1.2", "3245"), never in exponent form.
std::string delayText(queue::Time from, queue::Time to) {
  double v = std::chrono::duration<double>(to - from).count();
  if (v < 0) v = 0;
  char buf[32];
  std::snprintf(buf, sizeof buf, v < 10 ? "%.2f" : "%.0f", v);
  std::string text = buf;
  if (text.find('.') != std::string::npos) {
    while (text.back() == '0') text.pop_back();
    if (text.back() == '.') text.pop_back();
  }
  return text;
}

// One group of recipients for one agent.
struct Route {
  std::string transport;
  std::string nexthop;
  std::vector<ipc::DeliveryRecipient> recipients;
};

}  // namespace

AgentClient& AgentPool::agent(const std::string& transport) {
  auto& slot = agents_[transport];
  if (!slot)
    slot = std::make_unique<AgentClient>(settings_.path("private/" + transport),
                                         settings_.ipcTimeout);
  return *slot;
}

MessageDelivery::MessageDelivery(const Settings& settings, address::AddressResolver& resolver,
                                 AgentPool& agents, DestinationLimiter& limiter)
    : settings_(settings),
      retry_(settings),
      resolver_(resolver),
      agents_(agents),
      limiter_(limiter),
      notifier_(settings) {}

namespace {

// Opens the file for update; waits while an agent of this or a killed
// qmgr still holds it (it marks what it delivers). nullptr after a minute.
std::unique_ptr<queue::QueueFile> openForUpdate(const std::string& path, const std::string& id) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (;;) {
    try {
      return std::make_unique<queue::QueueFile>(path);
    } catch (const queue::QueueFileError& e) {
      if (e.kind() != queue::QueueFileError::Kind::Locked ||
          std::chrono::steady_clock::now() >= deadline) {
        log::warning("%s: %s", id.c_str(), e.what());
        return nullptr;
      }
    }
    ::usleep(20000);
  }
}

}  // namespace

void MessageDelivery::run(const std::string& queueId) {
  const auto id = queue::QueueId::parse(queueId);
  if (!id) return;
  const std::string activePath = settings_.path("active/" + queueId);

  // Routing needs only a read: the update lock is for the agents while
  // they deliver (they mark what they delivered), then for us.
  std::unique_ptr<queue::QueueFileReader> reader;
  try {
    reader = std::make_unique<queue::QueueFileReader>(activePath);
  } catch (const queue::QueueFileError& e) {
    if (e.isDamaged() || e.kind() == queue::QueueFileError::Kind::UnsupportedVersion) {
      log::warning("%s: %s; moved to corrupt", queueId.c_str(), e.detail().c_str());
      try {
        queue::moveQueueFile(settings_.root, *id, queue::QueueDir::Active,
                             queue::QueueDir::Corrupt);
      } catch (const std::exception& m) {
        log::error("%s", m.what());
      }
    } else {
      log::warning("%s", e.what());
    }
    return;
  }
  const queue::Envelope& envelope = reader->envelope();
  const auto now = nowSeconds();
  const bool expired = retry_.expired(
      std::chrono::time_point_cast<std::chrono::seconds>(envelope.arrival), envelope.sender.empty(),
      now);
  const queue::Time activeTime = queue::now();

  // Route every recipient that is due. Those not yet due stay as they are.
  std::vector<Route> routes;
  std::vector<ipc::DeliveryResult> toRecord;  // Deferred and Failed, written at the end
  auto decide = [&](std::size_t i, ipc::DeliveryOutcome o, std::string dsn, std::string text) {
    ipc::DeliveryResult r;
    r.index = static_cast<std::uint32_t>(i);
    r.relay = "none";
    r.outcome = o;
    r.dsnStatus = std::move(dsn);
    r.text = std::move(text);
    toRecord.push_back(r);
  };
  for (std::size_t i = 0; i < envelope.recipients.size(); ++i) {
    const queue::Recipient& rcpt = envelope.recipients[i];
    if (rcpt.status.done() || rcpt.status.nextRetry > now) continue;
    const auto parsed = address::parseMailbox(
        rcpt.address, {.smtpUtf8 = true, .allowDomainless = false, .allowPostmaster = true});
    if (!parsed) {
      decide(i, ipc::DeliveryOutcome::Failed, "5.1.3", "bad address syntax: " + parsed.reason);
      continue;
    }
    const address::Resolution r = resolver_.resolve(parsed.address);
    if (r.addressClass == address::AddressClass::TempFail) {
      decide(i, ipc::DeliveryOutcome::Deferred, "4.3.0", "address resolver failure: " + r.reason);
    } else if (r.addressClass == address::AddressClass::Refused || r.transport == "error") {
      decide(i, ipc::DeliveryOutcome::Failed, "5.1.2",
             r.reason.empty() ? "unroutable address" : r.reason);
    } else {
      Route* route = nullptr;
      for (auto& candidate : routes)
        if (candidate.transport == r.transport && candidate.nexthop == r.nexthop)
          route = &candidate;
      if (!route) {
        routes.push_back({r.transport, r.nexthop, {}});
        route = &routes.back();
      }
      route->recipients.push_back(
          {static_cast<std::uint32_t>(i), rcpt.address, rcpt.originalAddress});
    }
  }
  // Routing decisions are logged like agents' results.
  std::vector<queue::Time> started(envelope.recipients.size(), activeTime);

  // Logs one result as Postfix does; an expired deferral becomes a failure.
  auto logResult = [&](ipc::DeliveryResult& result) {
    const queue::Recipient& rcpt = envelope.recipients[result.index];
    std::string note;
    if (result.outcome == ipc::DeliveryOutcome::Deferred && expired) {
      result.outcome = ipc::DeliveryOutcome::Failed;
      result.dsnStatus = permanentStatus(result.dsnStatus);
      note = " (message expired in the queue)";
    }
    const queue::Time end = queue::now();
    std::string orig;
    if (!rcpt.originalAddress.empty() && rcpt.originalAddress != rcpt.address)
      orig = ", orig_to=<" + rcpt.originalAddress + ">";
    log::info("%s: to=<%s>%s, relay=%s, delay=%s, delays=%s/%s/0/%s, dsn=%s, status=%s (%s%s)",
              queueId.c_str(), rcpt.address.c_str(), orig.c_str(), result.relay.c_str(),
              delayText(envelope.arrival, end).c_str(),
              delayText(envelope.arrival, activeTime).c_str(),
              delayText(activeTime, started[result.index]).c_str(),
              delayText(started[result.index], end).c_str(), result.dsnStatus.c_str(),
              std::string(ipc::deliveryOutcomeName(result.outcome)).c_str(), result.text.c_str(),
              note.c_str());
  };
  for (auto& r : toRecord) logResult(r);

  for (const Route& route : routes) {
    ipc::DeliveryRequest request;
    request.queueId = queueId;
    request.queueFile = "active/" + queueId;
    request.nexthop = route.nexthop;
    request.recipients = route.recipients;
    const queue::Time t = queue::now();
    for (const auto& rcpt : route.recipients) started[rcpt.index] = t;
    std::vector<bool> answered(envelope.recipients.size(), false);
    std::string error;
    const auto slot = limiter_.acquire(route.transport, route.nexthop);
    const bool complete = agents_.agent(route.transport).deliver(
        request,
        [&](const ipc::DeliveryResult& r) {
          ipc::DeliveryResult result = r;
          answered[result.index] = true;
          logResult(result);
          // The agent has marked Delivered and Expanded itself.
          if (result.outcome == ipc::DeliveryOutcome::Deferred ||
              result.outcome == ipc::DeliveryOutcome::Failed)
            toRecord.push_back(result);
        },
        &error);
    if (complete) continue;
    // The agent is unreachable or died: what it did not answer for waits
    // (unless it marked it delivered before it went: checked below).
    log::warning("%s: delivery agent %s: %s", queueId.c_str(), route.transport.c_str(),
                 error.c_str());
    for (const auto& rcpt : route.recipients) {
      if (answered[rcpt.index]) continue;
      ipc::DeliveryResult deferred;
      deferred.index = rcpt.index;
      deferred.outcome = ipc::DeliveryOutcome::Deferred;
      deferred.dsnStatus = "4.3.0";
      deferred.relay = route.transport;
      deferred.text = "mail transport unavailable";
      logResult(deferred);
      toRecord.push_back(deferred);
    }
  }
  reader.reset();

  // Now the update lock: record deferrals and failures, then decide.
  auto file = openForUpdate(activePath, queueId);
  if (!file) return;  // left in active/ for the next start
  try {
    std::vector<queue::QueueFile::Change> changes;
    for (const auto& r : toRecord) {
      const queue::Recipient& rcpt = file->recipient(r.index);
      if (rcpt.status.done()) continue;  // an agent marked it before it died
      queue::QueueFile::Change c;
      c.index = r.index;
      c.status = rcpt.status;
      queue::DeliveryReport report;
      report.dsnStatus = r.dsnStatus;
      report.diagnostic = r.diagnostic.empty() ? r.text : r.diagnostic;
      if (!r.remoteMta.empty())
        report.remoteMta = "dns; " + r.remoteMta;
      else if (!r.relay.empty() && r.relay != "none" && r.relay != "local")
        report.remoteMta = "dns; " + r.relay;
      if (r.outcome == ipc::DeliveryOutcome::Failed) {
        c.status.state = queue::RecipientState::Failed;
      } else {
        c.status.attempts = rcpt.status.attempts + 1;
        c.status.nextRetry = retry_.nextRetry(c.status.attempts, nowSeconds());
      }
      c.report = report;
      changes.push_back(c);
    }
    if (!changes.empty()) file->apply(changes);
  } catch (const queue::QueueFileError& e) {
    // The file's state on disk is unknown: leave it in active/ for the
    // next start, which reads whatever was recorded.
    log::error("%s: cannot record delivery status: %s", queueId.c_str(), e.what());
    return;
  }

  // The DSNs the message owes (failures, delays, successes), before the
  // file may go: a notification is never lost with its queue file.
  bool settled = false;
  try {
    settled = notifier_.notify(*file, queueId, nowSeconds());
  } catch (const queue::QueueFileError& e) {
    log::error("%s: cannot record a delay warning: %s", queueId.c_str(), e.what());
    return;
  }

  const queue::Envelope& final = file->envelope();
  if (final.allDone() && settled) {
    if (::unlink(activePath.c_str()) != 0 && errno != ENOENT) {
      log::error("%s: remove %s: %s", queueId.c_str(), activePath.c_str(), std::strerror(errno));
    } else {
      log::info("%s: removed", queueId.c_str());
      notifier_.forget(queueId);
    }
    return;
  }
  // Not done: deferred/ until the earliest recipient is due, or a delay
  // warning, or the retry of a notification (the mtime tells the
  // deferred-queue scan, without opening the file).
  std::chrono::sys_seconds due = std::chrono::sys_seconds::max();
  for (const auto& rcpt : final.recipients)
    if (!rcpt.status.done() && rcpt.status.nextRetry < due) due = rcpt.status.nextRetry;
  due = std::min(due, notifier_.nextDelayWarning(final));
  if (!settled) due = std::min(due, nowSeconds() + settings_.minimalBackoff);
  if (due == std::chrono::sys_seconds::max()) due = nowSeconds();
  struct timeval times[2];
  times[0].tv_sec = times[1].tv_sec = static_cast<time_t>(due.time_since_epoch().count());
  times[0].tv_usec = times[1].tv_usec = 0;
  if (::utimes(activePath.c_str(), times) != 0)
    log::warning("%s: utimes %s: %s", queueId.c_str(), activePath.c_str(), std::strerror(errno));
  try {
    file.reset();  // drop the lock before the rename
    queue::moveQueueFile(settings_.root, *id, queue::QueueDir::Active, queue::QueueDir::Deferred);
  } catch (const std::exception& e) {
    log::error("%s: %s", queueId.c_str(), e.what());
  }
}

}  // namespace posthorn::qmgr
