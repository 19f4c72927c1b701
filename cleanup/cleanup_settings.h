// cleanup_settings - cleanup's configuration, read and checked once at start
//
// Built only from a config::Config: every default comes from the parameter
// table (lib/config/config_defaults.cc), none is written here.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "lib/address/srs.h"
#include "lib/config/config.h"
#include "lib/mailauth/arc_seal.h"
#include "lib/mailauth/dkim_sign.h"
#include "lib/mailauth/dkim_signing_table.h"
#include "cleanup/cleanup_rewrite.h"

namespace posthorn::cleanup {

// What a session needs: plain values, filled in by Settings; tests take
// Settings(cfg).session and may then change fields.
struct SessionSettings {
  std::string incomingDir = "incoming";  // where committed queue files go
  std::string qmgrTrigger;               // public/qmgr: poked after each commit; "" = none
  std::string myhostname;                // right-hand side of added Message-IDs
  std::string myorigin;                  // domain for unqualified extracted recipients
  std::string authservId;                // authserv_id: forged Authentication-Results to drop
  std::uint64_t messageSizeLimit{};      // message_size_limit; 0 = none (4 GiB - 1)
  std::size_t headerSizeLimit{};         // header_size_limit: one header field
  int hopcountLimit{};                   // hopcount_limit: Received: headers
  std::chrono::seconds ipcTimeout{};     // ipc_timeout: one read from the client
  std::chrono::seconds idleTimeout{};    // between messages on one connection
  std::chrono::seconds messageTimeout{};  // daemon_timeout: one whole message
  // dkim_signing_maps with its keys, read before the jail; signs messages
  // opened with cleanup_flags::kSign. Null: signing is off.
  std::shared_ptr<const mailauth::DkimSigningTable> dkimTable;
  std::shared_ptr<mailauth::DkimSigner> dkimSigner;
  // The rsa-sha256 key of arc_sealing_domain in dkim_signing_maps: seals
  // messages opened with cleanup_flags::kArcSeal. Null: no ARC sets.
  std::shared_ptr<const mailauth::ArcSealer> arcSealer;
  // srs_domain: recipients that are our SRS addresses (bounces of mail we
  // forwarded) become the original senders; null = off.
  std::shared_ptr<const address::SrsCodec> srs;
  // canonical_maps, masquerade_domains, virtual_alias_maps ...: the
  // envelope's rewriting (cleanup_rewrite.h); null = none configured.
  std::shared_ptr<Rewriting> rewriting;
};

struct Settings {
  std::string queueDirectory;  // queue_directory: the chroot
  SessionSettings session;     // its paths are set by placeIn()

  // Throws config::ConfigError naming the parameter and value.
  explicit Settings(const config::Config& cfg);

  // Points the session at incoming/ and qmgr's trigger under `root`: the
  // queue directory, or "" inside the jail.
  void placeIn(const std::string& root);
  // Sets session.rewriting, reading tables through mapd at mapdSocket,
  // when cfg asks for any address rewriting.
  void connectRewriting(const config::Config& cfg, const std::string& mapdSocket);
};

}  // namespace posthorn::cleanup
