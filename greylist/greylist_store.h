// greylist_store - greylist(8)'s triplets and client pass counts, kept on disk
//
// A triplet is (client network, sender, recipient); a client is its network
// ("192.0.2.0/24", "2001:db8:1:2::/64"). The state lives in memory and in
// one text file that is only appended to, one record a line:
//   T <first> <last> <passed 0|1> <network> <sender> <recipient>
//   C <last> <passes> <network>
// (tab separated, times in seconds since the epoch); a later record for the
// same key replaces the earlier one. Opening the store reads the file and
// rewrites it compacted (without what has expired) through a temporary file
// and rename; it is compacted again when it holds many more records than
// live entries. No fsync: a lost record only greylists one message again.
// One process writes it (greylist runs with maxproc 1), so there is no
// locking.
//
//   greylist::GreylistStore store("/var/lib/posthorn/greylist_state", maxAge, now);
//   store.putTriplet(key, state);
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>

namespace posthorn::greylist {

// Seconds since the epoch.
using Seconds = std::int64_t;

class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct TripletKey {
  std::string network;
  std::string sender;     // lowercased, "" for the null sender
  std::string recipient;  // lowercased
  auto operator<=>(const TripletKey&) const = default;
};

struct TripletState {
  Seconds first = 0;    // the first attempt of the current greylisting round
  Seconds last = 0;     // the last time the triplet was seen
  bool passed = false;  // it came back after the delay
  bool operator==(const TripletState&) const = default;
};

struct ClientState {
  Seconds last = 0;  // the last time one of its triplets passed
  long passes = 0;   // how many triplets passed greylisting
  bool operator==(const ClientState&) const = default;
};

class GreylistStore {
 public:
  // Reads `path` (a missing file is an empty store), forgets entries not
  // seen for more than maxAge before `now`, and rewrites it compacted.
  // An empty path keeps everything in memory only (tests). Throws
  // StoreError when the file cannot be read or written.
  GreylistStore(std::string path, Seconds maxAge, Seconds now);
  ~GreylistStore();
  GreylistStore(const GreylistStore&) = delete;
  GreylistStore& operator=(const GreylistStore&) = delete;

  // The entry, or nullopt when there is none or it was not seen for more
  // than maxAge before `now` (then it is forgotten).
  std::optional<TripletState> triplet(const TripletKey& key, Seconds now);
  std::optional<ClientState> client(const std::string& network, Seconds now);

  void putTriplet(const TripletKey& key, const TripletState& state);
  void putClient(const std::string& network, const ClientState& state);

  // Drops expired entries and rewrites the file. Called by the constructor
  // and when the file has grown.
  void compact(Seconds now);

  const std::map<TripletKey, TripletState>& triplets() const { return triplets_; }
  const std::map<std::string, ClientState>& clients() const { return clients_; }

 private:
  void load();
  void append(const std::string& record);
  void openForAppend();

  std::string path_;
  Seconds maxAge_;
  std::FILE* file_ = nullptr;
  std::size_t records_ = 0;  // lines in the file
  std::map<TripletKey, TripletState> triplets_;
  std::map<std::string, ClientState> clients_;
};

}  // namespace posthorn::greylist
