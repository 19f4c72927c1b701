// master - the master daemon's event loop (see master.h)
#include "master/master.h"

#include <algorithm>
#include <csignal>
#include <event2/event.h>
#include <set>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log/log.h"
#include "lib/config/master_conf.h"

#ifndef POSTHORN_VERSION
#define POSTHORN_VERSION "0"
#endif

namespace posthorn::master {

Master::Master(Options options, config::Config cfg, std::unique_ptr<log::LogSink> sink)
    : options_(std::move(options)),
      cfg_(std::move(cfg)),
      sink_(std::move(sink)),
      base_(loop::newBase()) {
  if (sink_) sink_->attach(base_.get());
  auto on = [this](int sig, std::function<void()> fn) {
    auto ev = std::make_unique<loop::Event>(base_.get(), sig, loop::kSignal | loop::kPersist,
                                            [fn](int, short) { fn(); });
    ev->add();
    signals_.push_back(std::move(ev));
  };
  on(SIGCHLD, [this] { reap(); });
  on(SIGHUP, [this] { reload(); });
  on(SIGTERM, [this] { beginShutdown(SIGTERM); });
  on(SIGINT, [this] { beginShutdown(SIGINT); });
  killTimer_ = std::make_unique<loop::Event>(base_.get(), -1, 0, [this](int, short) {
    std::size_t left = 0;
    for (auto& s : retired_) {
      left += s->workerCount();
      s->signalWorkers(SIGKILL);
    }
    if (left > 0) log::warning("%zu worker(s) still running: sending SIGKILL", left);
  });
  giveUpTimer_ = std::make_unique<loop::Event>(base_.get(), -1, 0, [this](int, short) {
    log::warning("%zu worker(s) did not exit: giving up waiting", pids_.size());
    event_base_loopbreak(base_.get());
  });
}

Master::~Master() {
  services_.clear();
  retired_.clear();
  signals_.clear();
  killTimer_.reset();
  giveUpTimer_.reset();
  sink_.reset();
}

std::chrono::seconds Master::maxThrottle() const {
  try {
    return cfg_.getTime("service_throttle_time");
  } catch (const config::ConfigError& e) {
    log::warning("%s", e.what());
    return std::chrono::seconds(60);
  }
}

std::unique_ptr<Service> Master::makeService(ServiceSpec spec) {
  return std::make_unique<Service>(base_.get(), std::move(spec), maxThrottle(),
                                   [this](pid_t pid, Service* s) { pids_[pid] = s; });
}

void Master::openServices() {
  TableSettings settings = TableSettings::fromConfig(cfg_, options_.verbose);
  auto specs = buildServiceTable(settings, config::loadMasterConf(options_.configDir));
  if (specs.empty()) log::warning("%s/master.conf defines no service", options_.configDir.c_str());
  for (auto& spec : specs) {
    auto svc = makeService(std::move(spec));
    try {
      svc->open();
    } catch (const std::exception& e) {
      throw std::runtime_error(svc->spec().where + ": service " + svc->spec().key() + ": " +
                               e.what());
    }
    services_.push_back(std::move(svc));
  }
}

int Master::run() {
  for (auto& s : services_) s->start();
  reap();  // a child that ended before the SIGCHLD event was armed
  if (event_base_dispatch(base_.get()) < 0) log::error("event loop failed");
  if (sink_) sink_->drain();
  return stopSignal_;
}

void Master::reap() {
  int status = 0;
  pid_t pid;
  while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
    auto it = pids_.find(pid);
    if (it == pids_.end()) continue;
    Service* svc = it->second;
    pids_.erase(it);
    svc->workerExited(pid, status, stopping_);
  }
  dropRetired();
  checkShutdownDone();
}

void Master::dropRetired() {
  std::erase_if(retired_, [](const std::unique_ptr<Service>& s) { return s->workerCount() == 0; });
}

void Master::reload() {
  if (stopping_) return;
  log::info("reload -- version %s, configuration %s", POSTHORN_VERSION,
            options_.configDir.c_str());
  if (sink_)
    sink_->reopen();
  else
    log::reopen();

  config::Config cfg;
  std::vector<ServiceSpec> specs;
  try {
    std::vector<std::string> warnings;
    cfg = config::Config::load(options_.configDir, &warnings);
    for (const auto& w : warnings) log::warning("%s", w.c_str());
    std::string oldQueue = cfg_.get("queue_directory");
    if (cfg.get("queue_directory") != oldQueue)
      throw std::runtime_error("queue_directory cannot change at reload (was " + oldQueue +
                               "): stop and start the mail system");
    TableSettings settings = TableSettings::fromConfig(cfg, options_.verbose);
    specs = buildServiceTable(settings, config::loadMasterConf(options_.configDir));
  } catch (const std::exception& e) {
    log::error("reload failed, keeping the running configuration: %s", e.what());
    return;
  }
  if (cfg.get("maillog_file") != cfg_.get("maillog_file"))
    log::warning("maillog_file changed: it takes effect when the mail system is restarted");
  cfg_ = std::move(cfg);

  // Unchanged services stay as they are. Changed and removed ones retire
  // first, putting their listeners into a pool; new and changed services then
  // take a listener from the pool when its address is theirs (no window in
  // which the port refuses connections), else bind afresh.
  std::map<std::string, std::unique_ptr<Service>> old;
  for (auto& s : services_) {
    std::string key = s->spec().key();
    old.emplace(std::move(key), std::move(s));
  }
  services_.clear();
  std::set<std::string> keep;
  for (const auto& spec : specs) {
    auto it = old.find(spec.key());
    if (it != old.end() && it->second->spec().sameAs(spec)) keep.insert(spec.key());
  }
  std::vector<Listener> pool;
  for (auto& [key, svc] : old) {
    if (keep.count(key)) continue;
    log::info("service %s: %s", key.c_str(),
              std::any_of(specs.begin(), specs.end(),
                          [&](const ServiceSpec& s) { return s.key() == key; })
                  ? "changed, restarting it"
                  : "removed");
    for (auto& l : svc->retire(true)) pool.push_back(std::move(l));
    retired_.push_back(std::move(svc));
  }
  for (auto& spec : specs) {
    auto it = old.find(spec.key());
    if (keep.count(spec.key())) {
      services_.push_back(std::move(it->second));
      continue;
    }
    auto svc = makeService(spec);
    try {
      svc->open(&pool);
    } catch (const std::exception& e) {
      log::error("%s: service %s not started: %s", spec.where.c_str(), spec.key().c_str(),
                 e.what());
      continue;
    }
    svc->start();
    if (it == old.end()) log::info("service %s: added", spec.key().c_str());
    services_.push_back(std::move(svc));
  }
  // Listeners left in the pool belonged to removed services (or to old
  // addresses of changed ones): they close here, and their unix sockets go.
  for (const auto& l : pool)
    if (l.address().kind == ListenAddress::Kind::Unix) ::unlink(l.address().host.c_str());
  pool.clear();
  dropRetired();
}

void Master::beginShutdown(int sig) {
  if (stopping_) {
    log::warning("signal %d during shutdown: killing every worker now", sig);
    for (auto& s : retired_) s->signalWorkers(SIGKILL);
    return;
  }
  stopping_ = true;
  stopSignal_ = sig;
  log::info("terminating on signal %d", sig);
  for (auto& s : services_) {
    s->retire();
    retired_.push_back(std::move(s));
  }
  services_.clear();
  killTimer_->add(kKillAfter);
  giveUpTimer_->add(kGiveUpAfter);
  dropRetired();
  checkShutdownDone();
}

void Master::checkShutdownDone() {
  if (stopping_ && pids_.empty()) event_base_loopbreak(base_.get());
}

}  // namespace posthorn::master
