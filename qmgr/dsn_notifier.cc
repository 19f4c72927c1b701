// dsn_notifier - failure, delay and success notifications (see dsn_notifier.h)
#include "qmgr/dsn_notifier.h"

#include <exception>
#include <vector>

#include "lib/log/log.h"
#include "lib/queue/queue_file.h"
#include "qmgr/dsn_log.h"

namespace posthorn::qmgr {

namespace {

bool allows(std::uint8_t notifyBits, std::uint8_t what) {
  if (notifyBits & queue::notify::kNever) return false;
  if (notifyBits == 0) return what == queue::notify::kFailure || what == queue::notify::kDelay;
  return (notifyBits & what) != 0;
}

bool isDoubleBounce(const queue::Envelope& env) {
  const std::string* kind = env.attribute("dsn");
  return kind && *kind == "2bounce";
}

}  // namespace

DsnNotifier::DsnNotifier(const Settings& settings)
    : settings_(settings),
      client_(settings.path("private/bounce"), std::chrono::seconds(600)) {}

std::string DsnNotifier::logPath(const std::string& queueId) const {
  return settings_.path("bounce/" + queueId);
}

void DsnNotifier::forget(const std::string& queueId) const { DsnLog(logPath(queueId)).remove(); }

bool DsnNotifier::wantsDelayWarning(const queue::Envelope& env, const queue::Recipient& r) const {
  return settings_.delayWarningTime.count() > 0 && !env.sender.empty() && !r.status.done() &&
         !r.status.delayWarned && allows(r.notify, queue::notify::kDelay);
}

std::chrono::sys_seconds DsnNotifier::nextDelayWarning(const queue::Envelope& env) const {
  for (const auto& r : env.recipients)
    if (wantsDelayWarning(env, r))
      return std::chrono::time_point_cast<std::chrono::seconds>(env.arrival) +
             settings_.delayWarningTime;
  return std::chrono::sys_seconds::max();
}

bool DsnNotifier::notify(queue::QueueFile& file, const std::string& queueId,
                         std::chrono::sys_seconds now) {
  const queue::Envelope& env = file.envelope();
  const DsnLog record(logPath(queueId));
  const std::set<std::uint32_t> done = record.read();
  const bool nullSender = env.sender.empty();
  const bool arrivedLongAgo =
      settings_.delayWarningTime.count() > 0 &&
      now >= std::chrono::time_point_cast<std::chrono::seconds>(env.arrival) +
                 settings_.delayWarningTime;

  std::vector<std::uint32_t> failures, successes, delays;
  for (std::uint32_t i = 0; i < env.recipients.size(); ++i) {
    const queue::Recipient& r = env.recipients[i];
    const auto state = r.status.state;
    if (state == queue::RecipientState::Todo) {
      if (arrivedLongAgo && wantsDelayWarning(env, r)) delays.push_back(i);
      continue;
    }
    if (done.count(i)) continue;
    if (state == queue::RecipientState::Failed) {
      if (!allows(r.notify, queue::notify::kFailure)) continue;
      if (nullSender && (!settings_.doubleBounces || isDoubleBounce(env))) continue;
      failures.push_back(i);
    } else if (!nullSender && allows(r.notify, queue::notify::kSuccess)) {
      const bool handedOnWithDsn =
          state == queue::RecipientState::Delivered && !r.report.remoteMta.empty();
      if (!handedOnWithDsn) successes.push_back(i);
    }
  }

  bool settled = true;
  auto send = [&](ipc::DsnKind kind, const std::vector<std::uint32_t>& indices) -> bool {
    if (indices.empty()) return false;
    ipc::BounceRequest request;
    request.queueId = queueId;
    request.queueFile = "active/" + queueId;
    request.kind = kind;
    request.recipients = indices;
    std::string detail;
    const auto result = client_.send(request, &detail);
    const std::string kindName(ipc::dsnKindName(kind));
    switch (result) {
      case BounceClient::Result::Sent:
        log::info("%s: sender %s notification: %s", queueId.c_str(), kindName.c_str(),
                  detail.c_str());
        return true;
      case BounceClient::Result::NoService:
        log::warning("%s: %s notification not sent: %s", queueId.c_str(), kindName.c_str(),
                     detail.c_str());
        return true;  // nothing will ever send it: do not hold the message for it
      case BounceClient::Result::Failed:
        log::warning("%s: %s notification not sent, will retry: %s", queueId.c_str(),
                     kindName.c_str(), detail.c_str());
        return false;
    }
    return false;
  };
  for (const auto& [kind, indices] :
       {std::pair{ipc::DsnKind::Failure, &failures}, std::pair{ipc::DsnKind::Success, &successes}}) {
    if (indices->empty()) continue;
    if (!send(kind, *indices)) {
      settled = false;
      continue;
    }
    try {
      record.append(*indices);
    } catch (const std::exception& e) {
      // Sent but not recorded: the next pass sends it again.
      log::error("%s: %s", queueId.c_str(), e.what());
      settled = false;
    }
  }
  if (send(ipc::DsnKind::Delay, delays)) {
    std::vector<queue::QueueFile::Change> changes;
    for (std::uint32_t i : delays) {
      queue::QueueFile::Change c;
      c.index = i;
      c.status = file.recipient(i).status;
      c.status.delayWarned = true;
      changes.push_back(c);
    }
    file.apply(changes);  // a QueueFileError goes to the caller
  }
  return settled;
}

}  // namespace posthorn::qmgr
