// greylist - posthorn's greylisting policy service (see greylist(8))
//
// master runs it as one private unix service (`greylist unix - - n - 1
// greylist`) that smtpd asks through `check_policy_service
// unix:private/greylist`. One process, so that every smtpd shares one
// triplet table and nothing locks the state file. It is not chrooted: its
// state lives in $data_directory/greylist_state, outside the queue
// directory, as Postfix keeps its own caches there; it runs as mail_owner.
// Clients keep their connection, so it has no max_use; it exits after
// max_idle with no client, and the state is on disk by then.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <memory>

#include "greylist/greylist_policy.h"
#include "greylist/greylist_server.h"
#include "greylist/greylist_store.h"
#include "lib/log/log.h"
#include "lib/server/daemon_main.h"
#include "lib/util/event_loop.h"
#include "lib/util/privilege.h"

using namespace posthorn;

namespace {

greylist::Seconds now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

// Creates data_directory for mail_owner when it is missing (as root).
void makeDataDirectory(const std::string& dir, const std::string& owner) {
  if (::mkdir(dir.c_str(), 0700) == 0) {
    if (::geteuid() == 0 && !owner.empty()) {
      const privilege::Identity account = privilege::lookupUser(owner);
      if (::chown(dir.c_str(), account.uid, account.gid) != 0)
        throw greylist::StoreError("cannot chown " + dir + ": " + std::strerror(errno));
    }
  } else if (errno != EEXIST) {
    throw greylist::StoreError("cannot create " + dir + ": " + std::strerror(errno));
  }
}

}  // namespace

int main(int argc, char** argv) {
  return server::runDaemon(argc, argv, [](server::Worker& worker) {
    const config::Config& cfg = worker.config();
    const greylist::GreylistSettings settings = greylist::GreylistSettings::fromConfig(cfg);
    const std::string dataDir = cfg.get("data_directory");
    std::unique_ptr<greylist::GreylistStore> store;
    std::unique_ptr<greylist::Greylist> grey;
    greylist::PolicyServer policy([&](const greylist::Attributes& attrs) {
      const std::string action = grey->decide(attrs, now());
      auto attr = [&](const char* name) {
        auto it = attrs.find(name);
        return it == attrs.end() ? std::string() : it->second;
      };
      log::info("%s: client=%s from=<%s> to=<%s>: %s", attr("instance").c_str(),
                attr("client_address").c_str(), attr("sender").c_str(), attr("recipient").c_str(),
                action.c_str());
      return action;
    });
    std::unique_ptr<loop::Event> sigterm, sigint;

    server::WorkerSettings jail = worker.defaults();
    jail.chroot.clear();
    jail.networkFacing = false;
    jail.clientLimit = 1000;
    jail.maxUse = 0;
    jail.preJail = [&] { makeDataDirectory(dataDir, jail.user); };
    jail.postJail = [&] {
      store = std::make_unique<greylist::GreylistStore>(dataDir + "/greylist_state", settings.maxAge, now());
      grey = std::make_unique<greylist::Greylist>(settings, *store);
      auto onSignal = [&](int, short) { policy.stop(); };
      sigterm = std::make_unique<loop::Event>(worker.eventBase(), SIGTERM, loop::kSignal | loop::kPersist, onSignal);
      sigint = std::make_unique<loop::Event>(worker.eventBase(), SIGINT, loop::kSignal | loop::kPersist, onSignal);
      sigterm->add();
      sigint->add();
    };
    const int status = worker.run(jail, [&](server::Connection conn) {
      policy.serve(worker.eventBase(), std::move(conn));
    });
    sigterm.reset();
    sigint.reset();
    return status;
  });
}
