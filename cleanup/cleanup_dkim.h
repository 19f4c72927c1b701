// cleanup_dkim - DKIM signing of a message as cleanup writes it
//
// Fed the content exactly as it goes into the queue file (after every
// change cleanup makes to the header). The header is held until its end,
// because the key is chosen by the From field; from there on every piece
// goes straight to libopendkim. finish() returns the DKIM-Signature fields
// for the queue file's prepended header, and logs what it did, as
// OpenDKIM does:
//   QUEUEID: DKIM-Signature field added (s=202612-rsa, d=example.org, a=rsa-sha256)
//   QUEUEID: not DKIM-signed: no key in dkim_signing_maps for example.net
// A header over kMaxHeldHeader is not signed (and logged): it is not
// held in memory.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "cleanup/held_header.h"
#include "lib/mailauth/dkim_sign.h"
#include "lib/mailauth/dkim_signing_table.h"

namespace posthorn::cleanup {

class DkimStage {
 public:
  static constexpr std::size_t kMaxHeldHeader = 1u << 20;

  DkimStage(const mailauth::DkimSigningTable& table, mailauth::DkimSigner& signer, std::string queueId);
  ~DkimStage();

  void feed(std::string_view content);
  std::string finish();

 private:
  void headerComplete();
  void startSigning();

  const mailauth::DkimSigningTable& table_;
  mailauth::DkimSigner& signer_;
  std::string queueId_;
  HeldHeader held_;
  bool headerDone_ = false;
  bool abandoned_ = false;
  std::unique_ptr<mailauth::DkimSigner::Stream> stream_;
};

}  // namespace posthorn::cleanup
