// greylist_store - greylist(8)'s triplets and client pass counts, kept on disk
#include "greylist/greylist_store.h"

#include <cerrno>
#include <cstring>
#include <string_view>
#include <vector>

namespace posthorn::greylist {

namespace {

std::vector<std::string_view> splitTabs(std::string_view line) {
  std::vector<std::string_view> fields;
  for (;;) {
    const std::size_t tab = line.find('\t');
    fields.push_back(line.substr(0, tab));
    if (tab == std::string_view::npos) return fields;
    line.remove_prefix(tab + 1);
  }
}

std::optional<Seconds> number(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  Seconds n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

std::string tripletRecord(const TripletKey& key, const TripletState& s) {
  return "T\t" + std::to_string(s.first) + "\t" + std::to_string(s.last) + "\t" +
         (s.passed ? "1" : "0") + "\t" + key.network + "\t" + key.sender + "\t" + key.recipient + "\n";
}

std::string clientRecord(const std::string& network, const ClientState& s) {
  return "C\t" + std::to_string(s.last) + "\t" + std::to_string(s.passes) + "\t" + network + "\n";
}

}  // namespace

GreylistStore::GreylistStore(std::string path, Seconds maxAge, Seconds now)
    : path_(std::move(path)), maxAge_(maxAge) {
  if (path_.empty()) return;
  load();
  compact(now);
}

GreylistStore::~GreylistStore() {
  if (file_) std::fclose(file_);
}

void GreylistStore::load() {
  std::FILE* f = std::fopen(path_.c_str(), "re");
  if (!f) {
    if (errno == ENOENT) return;
    throw StoreError("cannot open " + path_ + ": " + std::strerror(errno));
  }
  char* buf = nullptr;
  std::size_t cap = 0;
  ssize_t n;
  while ((n = ::getline(&buf, &cap, f)) > 0) {
    std::string_view line(buf, static_cast<std::size_t>(n));
    if (line.back() != '\n') break;  // a record cut short by a crash
    line.remove_suffix(1);
    const std::vector<std::string_view> fields = splitTabs(line);
    if (fields[0] == "T" && fields.size() == 7) {
      auto first = number(fields[1]), last = number(fields[2]);
      if (!first || !last || (fields[3] != "0" && fields[3] != "1")) continue;
      triplets_[TripletKey{std::string(fields[4]), std::string(fields[5]), std::string(fields[6])}] =
          TripletState{*first, *last, fields[3] == "1"};
    } else if (fields[0] == "C" && fields.size() == 4) {
      auto last = number(fields[1]), passes = number(fields[2]);
      if (!last || !passes) continue;
      clients_[std::string(fields[3])] = ClientState{*last, static_cast<long>(*passes)};
    }
    // Anything else is a damaged line: skipped, and gone after compaction.
  }
  const bool failed = std::ferror(f);
  std::free(buf);
  std::fclose(f);
  if (failed) throw StoreError("cannot read " + path_);
}

void GreylistStore::compact(Seconds now) {
  std::erase_if(triplets_, [&](const auto& e) { return now - e.second.last > maxAge_; });
  std::erase_if(clients_, [&](const auto& e) { return now - e.second.last > maxAge_; });
  if (path_.empty()) return;
  if (file_) std::fclose(file_);
  file_ = nullptr;
  const std::string tmp = path_ + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "we");
  if (!f) throw StoreError("cannot create " + tmp + ": " + std::strerror(errno));
  for (const auto& [key, state] : triplets_) std::fputs(tripletRecord(key, state).c_str(), f);
  for (const auto& [network, state] : clients_) std::fputs(clientRecord(network, state).c_str(), f);
  if (std::fclose(f) != 0 || std::rename(tmp.c_str(), path_.c_str()) != 0) {
    const int e = errno;
    std::remove(tmp.c_str());
    throw StoreError("cannot write " + path_ + ": " + std::strerror(e));
  }
  records_ = triplets_.size() + clients_.size();
  openForAppend();
}

void GreylistStore::openForAppend() {
  file_ = std::fopen(path_.c_str(), "ae");
  if (!file_) throw StoreError("cannot open " + path_ + ": " + std::strerror(errno));
}

void GreylistStore::append(const std::string& record) {
  if (!file_) return;
  ++records_;
  // Written at once: the next request may come from another smtpd after a
  // restart of this process.
  if (std::fputs(record.c_str(), file_) < 0 || std::fflush(file_) != 0)
    throw StoreError("cannot write " + path_ + ": " + std::strerror(errno));
}

// The entry of `key` in `entries` unless it has expired (then it is erased).
template <class Map>
std::optional<typename Map::mapped_type> liveEntry(Map& entries, const typename Map::key_type& key,
                                                   Seconds now, Seconds maxAge) {
  auto it = entries.find(key);
  if (it == entries.end()) return std::nullopt;
  if (now - it->second.last > maxAge) {
    entries.erase(it);
    return std::nullopt;
  }
  return it->second;
}

std::optional<TripletState> GreylistStore::triplet(const TripletKey& key, Seconds now) {
  return liveEntry(triplets_, key, now, maxAge_);
}

std::optional<ClientState> GreylistStore::client(const std::string& network, Seconds now) {
  return liveEntry(clients_, network, now, maxAge_);
}

void GreylistStore::putTriplet(const TripletKey& key, const TripletState& state) {
  triplets_[key] = state;
  append(tripletRecord(key, state));
  if (records_ > 2 * (triplets_.size() + clients_.size()) + 1000) compact(state.last);
}

void GreylistStore::putClient(const std::string& network, const ClientState& state) {
  clients_[network] = state;
  append(clientRecord(network, state));
}

}  // namespace posthorn::greylist
