// dkim_command - `posthorn dkim keygen`: a signing key and its DNS record
#include "tools/dkim_command.h"

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <optional>
#include <stdexcept>

#include "lib/mailauth/dkim_signing_table.h"
#include "lib/tls/tls.h"
#include "lib/util/ascii.h"
#include "tools/command.h"
#include "tools/dkim_record.h"
#include "tools/key_file.h"

namespace posthorn::tools {

namespace {

constexpr Command kDkim{"posthorn dkim",
                       "usage: posthorn dkim keygen [-c DIR] [-a rsa|ed25519] [-b BITS] [-f] DOMAIN [SELECTOR]\n"
                       "       posthorn dkim rotate [-c DIR] DOMAIN"};

struct Options {
  bool rotate = false;
  std::string configDir;
  bool algorithmGiven = false;
  bool ed25519 = false;
  std::optional<int> bits;
  bool force = false;
  std::string domain, selector;
};

int parseBits(const std::string& v) {
  char* end = nullptr;
  errno = 0;
  const long bits = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || errno != 0 || bits < 1024 || bits > 4096)
    throw UsageError("-b takes a number of bits from 1024 to 4096, not \"" + v + "\"");
  return static_cast<int>(bits);
}

Options parseOptions(const std::vector<std::string>& args) {
  Options o;
  ArgCursor arg(args);
  while (arg.next()) {
    switch (arg.option()) {
      case 'c': o.configDir = arg.value("a directory"); break;
      case 'a': {
        const std::string v = arg.value("an algorithm");
        o.algorithmGiven = true;
        if (v == "rsa") o.ed25519 = false;
        else if (v == "ed25519") o.ed25519 = true;
        else throw UsageError("-a takes rsa or ed25519, not \"" + v + "\"");
        break;
      }
      case 'b': o.bits = parseBits(arg.value("a number of bits")); break;
      case 'f':
        arg.alone();
        o.force = true;
        break;
      default: arg.unknown();
    }
  }
  const std::vector<std::string> operands = arg.operands();
  if (operands.empty()) throw UsageError("missing subcommand (keygen, rotate)");
  if (operands[0] != "keygen" && operands[0] != "rotate")
    throw UsageError("unknown subcommand \"" + operands[0] + "\" (known: keygen, rotate)");
  o.rotate = operands[0] == "rotate";
  if (operands.size() < 2) throw UsageError("missing DOMAIN");
  if (operands.size() > (o.rotate ? 2u : 3u)) throw UsageError("too many arguments");
  if (o.rotate && (o.algorithmGiven || o.bits || o.force))
    throw UsageError("rotate takes no -a, -b or -f: each new key is made like the one it replaces");
  if (o.ed25519 && o.bits) throw UsageError("-b is for RSA keys; ed25519 keys have no size to choose");
  o.domain = util::lower(operands[1]);
  if (!o.domain.empty() && o.domain.back() == '.') o.domain.pop_back();
  if (!mailauth::isDkimName(o.domain, true)) throw UsageError("\"" + operands[1] + "\" is not a domain name");
  if (operands.size() == 3) {
    o.selector = util::lower(operands[2]);
    if (!mailauth::isDkimName(o.selector, false))
      throw UsageError("\"" + operands[2] + "\" is not a selector (letters, digits, '-' and '.')");
  }
  return o;
}

// "202612": the year and month (or with day, "%Y%m%d") in UTC.
std::string today(const char* format) {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char text[16];
  std::strftime(text, sizeof text, format, &tm);
  return text;
}

std::string defaultSelector(bool ed25519) { return today("%Y%m") + (ed25519 ? "-ed25519" : "-rsa"); }

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;

Key newKey(bool ed25519, int bits) {
  EVP_PKEY* key = ed25519 ? EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519") : EVP_RSA_gen(static_cast<unsigned>(bits));
  if (key == nullptr) throw std::runtime_error("cannot generate a key: " + tls::errorText());
  return Key(key);
}

// Made by whoever runs the command; run as root, the keys are root's
// alone: cleanup reads them as root, before it drops its privileges and
// enters its jail, so no worker running as mail_owner can read them.
void makeDirectory(const std::string& dir, mode_t mode) {
  if (::mkdir(dir.c_str(), mode) != 0 && errno != EEXIST)
    throw std::runtime_error("cannot create " + dir + ": " + std::strerror(errno));
}

bool exists(const std::string& path) {
  struct stat st{};
  return ::lstat(path.c_str(), &st) == 0;
}

struct KeyRequest {
  std::string domain, selector;
  bool ed25519 = false;
  int bits = 2048;
  bool force = false;
};

// Writes the key and its record under configDir/dkim/DOMAIN and says so;
// returns the record line.
std::string makeKey(const std::string& configDir, const KeyRequest& k, std::ostream& out) {
  // dkim/ is readable by all (it holds only directories); each domain's
  // directory and keys are their maker's alone.
  makeDirectory(configDir + "/dkim", 0755);
  const std::string dir = configDir + "/dkim/" + k.domain;
  makeDirectory(dir, 0700);
  const std::string keyPath = dir + "/" + k.selector + ".key";
  const std::string recordPath = dir + "/" + k.selector + ".txt";
  // Both checked before anything is made: a new key must never sit
  // beside an old record, nor the reverse.
  for (const std::string* path : {&keyPath, &recordPath})
    if (!k.force && exists(*path)) throw std::runtime_error(*path + " already exists (use -f to replace it)");

  const Key key = newKey(k.ed25519, k.bits);
  const std::string record = dkimRecordLine(k.selector, k.domain, dkimRecordValue(key.get()));
  writeKeyFile(keyPath, pemPrivateKey(key.get()), 0600, k.force);
  try {
    writeKeyFile(recordPath, record + "\n", 0644, k.force);
  } catch (...) {
    ::unlink(keyPath.c_str());  // never a key without its record
    throw;
  }
  out << kDkim.name << ": wrote " << keyPath << " ("
      << (k.ed25519 ? std::string("ed25519") : "RSA " + std::to_string(k.bits)) << ") and " << recordPath << "\n";
  return record;
}

std::string configDirOf(const config::Config& cfg) {
  std::string dir = cfg.get("config_directory");
  return dir.empty() ? cfg.configDir() : dir;
}

int keygen(const Options& o, std::ostream& out) {
  const config::Config cfg = configOrDefaults(o.configDir);
  KeyRequest k{o.domain, o.selector.empty() ? defaultSelector(o.ed25519) : o.selector, o.ed25519,
               o.bits.value_or(2048), o.force};
  const std::string record = makeKey(configDirOf(cfg), k, out);
  out << "Publish this record in the zone of " << o.domain << ":\n" << record << "\n";
  return 0;
}

// A new selector for a key of `algorithm`: YYYYMM-ALG, or YYYYMMDD-ALG
// when this month's is taken (a second rotation in a month).
// `taken`: the names this rotation already chose (a line may hold two keys
// of one algorithm).
std::string rotatedSelector(const std::string& dir, const std::string& algorithm,
                            const std::vector<std::string>& taken) {
  const std::string alg = algorithm == "ed25519-sha256" ? "ed25519" : "rsa";
  for (const char* format : {"%Y%m", "%Y%m%d"}) {
    const std::string selector = today(format) + "-" + alg;
    const std::string path = dir + "/" + selector;
    if (!exists(path + ".key") && !exists(path + ".txt") &&
        std::find(taken.begin(), taken.end(), path) == taken.end())
      return selector;
  }
  throw std::runtime_error("the keys of " + dir + " were already rotated today");
}

int rotate(const Options& o, std::ostream& out) {
  const config::Config cfg = config::Config::load(configDirectory(o.configDir));
  const std::string configDir = configDirOf(cfg);
  const std::string tableSpec = cfg.get("dkim_signing_maps");
  if (tableSpec.empty()) throw std::runtime_error("dkim_signing_maps is empty: nothing signs, nothing to rotate");
  const auto table = mailauth::DkimSigningTable::load(tableSpec, configDir);
  std::vector<std::shared_ptr<const mailauth::DkimKey>> current;
  for (const auto& entry : table.entries())
    if (entry.domain == o.domain) current = entry.keys;
  if (current.empty())
    throw std::runtime_error("dkim_signing_maps has no line for " + o.domain + ": rotate replaces the keys it names");
  // Every new name first: a rotation that cannot finish makes nothing.
  std::vector<KeyRequest> requests;
  std::vector<std::string> records, oldSelectors, newItems, taken;
  for (const auto& key : current) {
    const std::string dir = configDir + "/dkim/" + key->domain;
    const bool ed25519 = key->algorithm == "ed25519-sha256";
    requests.push_back({key->domain, rotatedSelector(dir, key->algorithm, taken), ed25519, ed25519 ? 0 : key->bits,
                        false});
    taken.push_back(dir + "/" + requests.back().selector);
    oldSelectors.push_back(key->domain == o.domain ? key->selector : key->domain + "/" + key->selector);
    newItems.push_back(key->domain == o.domain ? requests.back().selector
                                               : key->domain + "/" + requests.back().selector);
  }
  // All or nothing: a key that cannot be made (a full disk) takes the
  // ones made before it away again, so a second try starts clean.
  std::vector<std::string> made;
  try {
    for (const KeyRequest& k : requests) {
      records.push_back(makeKey(configDir, k, out));
      const std::string base = configDir + "/dkim/" + k.domain + "/" + k.selector;
      made.push_back(base + ".key");
      made.push_back(base + ".txt");
    }
  } catch (...) {
    for (const std::string& path : made) ::unlink(path.c_str());
    throw;
  }
  // Mail signed with the old keys can wait in queues for
  // maximal_queue_lifetime, and be verified on arrival; two days more for
  // receivers that check late (filters, forwarders).
  const auto lifetime = cfg.getTime("maximal_queue_lifetime");
  const long days = static_cast<long>((lifetime.count() + 86399) / 86400) + 2;
  auto joined = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
  };
  out << "\n1. Publish these records:\n";
  for (const auto& r : records) out << r << "\n";
  out << "\n2. Once they can be seen (posthorn dns --check " << o.domain
      << " lists keys not yet in the table too), sign with the new keys: in "
      << tableSpec << " change the line of " << o.domain << " to\n"
      << o.domain << "  " << joined(newItems) << "\n"
      << "and run posthorn reload.\n"
      << "\n3. Keep the old records (" << joined(oldSelectors) << ") published for " << days
      << " days after step 2 (maximal_queue_lifetime " << cfg.get("maximal_queue_lifetime")
      << ", and 2 days for late verifiers); then remove them and their key files.\n";
  return 0;
}

}  // namespace

int runDkim(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  return kDkim.run(err, [&] {
    const Options o = parseOptions(args);
    return o.rotate ? rotate(o, out) : keygen(o, out);
  });
}

}  // namespace posthorn::tools
