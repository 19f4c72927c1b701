// cleanup_arc - hold the header, hash the body, seal at the end
#include "cleanup/cleanup_arc.h"

#include <ctime>
#include <stdexcept>

#include "lib/log/log.h"

namespace posthorn::cleanup {

ArcStage::ArcStage(const mailauth::ArcSealer& sealer, std::string authservId, std::string queueId)
    : sealer_(sealer), authservId_(std::move(authservId)), queueId_(std::move(queueId)), held_(kMaxHeldHeader) {}

void ArcStage::feed(std::string_view content) {
  if (abandoned_ || content.empty()) return;
  if (headerDone_) {
    body_.feed(content);
    return;
  }
  switch (held_.add(content)) {
    case HeldHeader::Status::More: return;
    case HeldHeader::Status::TooLong:
      log::warning("%s: no ARC set: header longer than %zu bytes", queueId_.c_str(), kMaxHeldHeader);
      abandoned_ = true;
      return;
    case HeldHeader::Status::Complete:
      headerDone_ = true;
      header_ = std::string(held_.header());
      body_.feed(held_.rest());
      held_.release();
      return;
  }
}

std::string ArcStage::finish() {
  if (abandoned_) return "";
  if (!headerDone_ && held_.endOfMessage() == HeldHeader::Status::Complete) header_ = std::string(held_.header());
  mailauth::ArcSealResult r;
  try {
    r = sealer_.seal({header_, body_.finish(), authservId_, std::time(nullptr)});
  } catch (const std::runtime_error& e) {
    r.error = e.what();
  }
  const auto& key = sealer_.key();
  if (r.fields.empty()) {
    log::info("%s: no ARC set: %s", queueId_.c_str(), r.error.c_str());
    return "";
  }
  log::info("%s: ARC set i=%d added (cv=%s, d=%s, s=%s)", queueId_.c_str(), r.instance, r.cv.c_str(),
            key.domain.c_str(), key.selector.c_str());
  return r.fields;
}

}  // namespace posthorn::cleanup
