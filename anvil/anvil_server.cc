// anvil_server - one handler per client connection (see anvil_server.h)
#include "anvil/anvil_server.h"

#include <ctime>
#include <map>
#include <memory>

#include "lib/ipc/ipc.h"
#include "lib/proto/proto_anvil.h"

namespace posthorn::anvil {

namespace {

class AnvilHandler : public server::RequestHandler {
 public:
  explicit AnvilHandler(AnvilTable& table) : table_(table) {}
  ~AnvilHandler() override {
    const auto now = Clock::now();
    for (const auto& [ident, n] : open_)
      for (unsigned i = 0; i < n; ++i) table_.record(ipc::AnvilEvent::Disconnect, ident, now);
  }

  server::RequestReply answer(const ipc::Frame& frame) override {
    const auto request = ipc::decode<ipc::AnvilRequest>(frame);
    if (request.event == ipc::AnvilEvent::Disconnect) {
      // Only what this client connected: a disconnect sent to an anvil
      // that never saw the connect (restarted since) changes nothing.
      auto it = open_.find(request.ident);
      if (it == open_.end()) return {ipc::encodeFrame(ipc::AnvilReply{})};
      if (--it->second == 0) open_.erase(it);
    } else if (request.event == ipc::AnvilEvent::Connect) {
      ++open_[request.ident];
    }
    return {ipc::encodeFrame(table_.record(request.event, request.ident, Clock::now()))};
  }

 private:
  AnvilTable& table_;
  std::map<std::string, unsigned> open_;  // connections reported and not yet disconnected
};

// "Dec  8 00:23:36", as ctime() writes it (Postfix's %.15s of ctime + 4).
std::string stamp(Clock::time_point when, Clock::time_point now) {
  const auto ago = std::chrono::duration_cast<std::chrono::seconds>(now - when);
  const std::time_t t = std::time(nullptr) - ago.count();
  char buf[32];
  std::tm tm{};
  ::localtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%b %e %H:%M:%S", &tm);
  return buf;
}

}  // namespace

server::RequestServer::NewHandler anvilHandlers(AnvilTable& table) {
  return [&table](const std::string&) { return std::make_unique<AnvilHandler>(table); };
}

std::vector<std::string> statisticsLines(const AnvilTable& table, Clock::time_point now) {
  std::vector<std::string> lines;
  for (const AnvilTable::Maximum& m : table.statistics()) {
    std::string line = "statistics: max " + m.what + " " + std::to_string(m.value);
    if (m.rate) line += "/" + std::to_string(table.timeUnit().count()) + "s";
    if (!m.ident.empty()) line += " for (" + m.ident + ")";
    line += " at " + stamp(m.when, now);
    lines.push_back(std::move(line));
  }
  return lines;
}

}  // namespace posthorn::anvil
