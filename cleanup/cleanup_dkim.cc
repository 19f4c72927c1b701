// cleanup_dkim - the header held, the key chosen by From, the rest streamed
#include "cleanup/cleanup_dkim.h"

#include "lib/log/log.h"
#include "lib/mailauth/from_domain.h"

namespace posthorn::cleanup {

DkimStage::DkimStage(const mailauth::DkimSigningTable& table, mailauth::DkimSigner& signer, std::string queueId)
    : table_(table), signer_(signer), queueId_(std::move(queueId)), held_(kMaxHeldHeader) {}

DkimStage::~DkimStage() = default;

void DkimStage::feed(std::string_view content) {
  if (abandoned_ || content.empty()) return;
  if (headerDone_) {
    if (stream_) stream_->feed(content);
    return;
  }
  switch (held_.add(content)) {
    case HeldHeader::Status::More: return;
    case HeldHeader::Status::TooLong:
      log::warning("%s: not DKIM-signed: header longer than %zu bytes", queueId_.c_str(), kMaxHeldHeader);
      abandoned_ = true;
      return;
    case HeldHeader::Status::Complete: headerComplete(); return;
  }
}

void DkimStage::headerComplete() {
  headerDone_ = true;
  startSigning();
  if (stream_) stream_->feed(held_.all());
  held_.release();
}

void DkimStage::startSigning() {
  std::string why;
  const std::optional<std::string> domain = mailauth::fromDomain(held_.header(), &why);
  if (!domain) {
    log::info("%s: not DKIM-signed: %s", queueId_.c_str(), why.c_str());
    return;
  }
  const auto keys = table_.keysFor(*domain);
  if (keys.empty()) {
    log::info("%s: not DKIM-signed: no key in dkim_signing_maps for %s", queueId_.c_str(), domain->c_str());
    return;
  }
  stream_ = signer_.start(keys, queueId_);
}

std::string DkimStage::finish() {
  if (abandoned_) return "";
  if (!headerDone_ && held_.endOfMessage() == HeldHeader::Status::Complete) headerComplete();  // all header
  if (!stream_) return "";
  std::string fields;
  for (const auto& sig : stream_->finish()) {
    const auto& key = *sig.key;
    if (!sig.error.empty()) {
      log::warning("%s: DKIM signing with %s/%s failed: %s", queueId_.c_str(), key.domain.c_str(),
                   key.selector.c_str(), sig.error.c_str());
      continue;
    }
    log::info("%s: DKIM-Signature field added (s=%s, d=%s, a=%s)", queueId_.c_str(), key.selector.c_str(),
              key.domain.c_str(), key.algorithm.c_str());
    fields += sig.field;
  }
  return fields;
}

}  // namespace posthorn::cleanup
