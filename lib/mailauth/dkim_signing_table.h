// dkim_signing_table - which keys sign a message, chosen by the domain of
// its From field (dkim_signing_maps)
//
// The table is a text file in postmap(1)'s format, read whole at start
// together with every key it names: cleanup signs inside its chroot, where
// /etc/mail cannot be reached. Each line is
//
//   DOMAIN      [D/]SELECTOR [, [D/]SELECTOR ...]
//
// DOMAIN is a From domain, ".example.org" every subdomain of example.org,
// "*" any domain. Each SELECTOR names the key
// $config_directory/dkim/D/SELECTOR.key (as `posthorn dkim keygen` writes
// it) and signs with d=D; without "D/", D is the line's domain (without
// its leading dot). Several selectors sign a message several times: an RSA
// and an ed25519 key (RFC 8463 asks for both), or two keys while one
// replaces the other.
//
//   example.org     202612-rsa, 202612-ed25519
//   .example.org    example.org/202612-rsa
//   *               relay.example.net/mail
//
// A lookup tries the exact domain, then ".parent" for each parent, then
// "*". Anything wrong (syntax, a name, a key that cannot be read or is not
// RSA of 1024 bits or more, or ed25519) throws config::ConfigError that
// names FILE:LINE and the value.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace posthorn::mailauth {

struct DkimKey {
  std::string domain;     // d=
  std::string selector;   // s=
  std::string algorithm;  // "rsa-sha256" or "ed25519-sha256"
  int bits = 0;           // RSA modulus size; 256 for ed25519
  std::string pem;        // the private key as read (PEM)
  std::string file;       // where it was read, for logs
};

class DkimSigningTable {
 public:
  DkimSigningTable() = default;  // signs nothing

  // Reads the table at `path` (a file, or "texthash:FILE") and its keys
  // under `configDirectory`/dkim.
  static DkimSigningTable load(std::string_view spec, const std::string& configDirectory);

  // The keys that sign mail from `fromDomain` (lower case); empty: none.
  std::vector<std::shared_ptr<const DkimKey>> keysFor(std::string_view fromDomain) const;

  bool empty() const { return entries_.empty(); }
  // Every table entry in file order: "posthorn dns" prints their records.
  struct Entry {
    std::string domain;  // as in the table: "example.org", ".example.org", "*"
    std::vector<std::shared_ptr<const DkimKey>> keys;
  };
  std::vector<Entry> entries() const;

 private:
  std::map<std::string, std::vector<std::shared_ptr<const DkimKey>>, std::less<>> entries_;
  std::vector<std::string> order_;
};

// A DKIM selector or domain as `posthorn dkim` and the table accept them:
// DNS labels of letters, digits and inner '-', at most 63 each, and for a
// domain at least two labels.
bool isDkimName(std::string_view name, bool domain);

}  // namespace posthorn::mailauth
