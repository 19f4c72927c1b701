// dkim_command - `posthorn dkim keygen`: a signing key and its DNS record
#include "tools/dkim_command.h"

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

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
                       "usage: posthorn dkim keygen [-c DIR] [-a rsa|ed25519] [-b BITS] [-f] DOMAIN [SELECTOR]"};

struct Options {
  std::string configDir;
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
  if (operands.empty()) throw UsageError("missing subcommand (keygen)");
  if (operands[0] != "keygen")
    throw UsageError("unknown subcommand \"" + operands[0] + "\" (known: keygen)");
  if (operands.size() < 2) throw UsageError("missing DOMAIN");
  if (operands.size() > 3) throw UsageError("too many arguments");
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

std::string defaultSelector(bool ed25519) {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char month[16];
  std::strftime(month, sizeof month, "%Y%m", &tm);
  return std::string(month) + (ed25519 ? "-ed25519" : "-rsa");
}

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;

Key newKey(const Options& o) {
  EVP_PKEY* key = o.ed25519 ? EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")
                            : EVP_RSA_gen(static_cast<unsigned>(o.bits.value_or(2048)));
  if (key == nullptr) throw std::runtime_error("cannot generate a key: " + tls::errorText());
  return Key(key);
}

// mail_owner's uid and gid when run as root (the signer reads the key as
// that user), else none: the files stay the caller's.
std::optional<FileOwner> keyOwner(const config::Config& cfg) {
  if (::geteuid() != 0) return std::nullopt;
  const std::string owner = cfg.get("mail_owner");
  const passwd* pw = ::getpwnam(owner.c_str());
  if (pw == nullptr) throw std::runtime_error("mail_owner " + owner + " is not a user on this system");
  return FileOwner{pw->pw_uid, pw->pw_gid};
}

// The parent (dkim/) is root's when run as root, so the name cannot be
// swapped for a link between mkdir and lchown.
void makeDirectory(const std::string& dir, mode_t mode, const std::optional<FileOwner>& owner) {
  if (::mkdir(dir.c_str(), mode) != 0 && errno != EEXIST)
    throw std::runtime_error("cannot create " + dir + ": " + std::strerror(errno));
  if (owner && ::lchown(dir.c_str(), owner->uid, owner->gid) != 0)
    throw std::runtime_error("cannot give " + dir + " to mail_owner: " + std::strerror(errno));
}

}  // namespace

int runDkim(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  return kDkim.run(err, [&] {
    Options o = parseOptions(args);
    if (o.selector.empty()) o.selector = defaultSelector(o.ed25519);
    const config::Config cfg = configOrDefaults(o.configDir);
    std::string configDir = cfg.get("config_directory");
    if (configDir.empty()) configDir = cfg.configDir();
    const auto owner = keyOwner(cfg);
    // dkim/ is readable by all (it holds only directories); each domain's
    // directory and keys are the signer's alone.
    makeDirectory(configDir + "/dkim", 0755, std::nullopt);
    const std::string dir = configDir + "/dkim/" + o.domain;
    makeDirectory(dir, 0700, owner);
    const std::string keyPath = dir + "/" + o.selector + ".key";
    const std::string recordPath = dir + "/" + o.selector + ".txt";
    // Both checked before anything is made: a new key must never sit
    // beside an old record, nor the reverse.
    for (const std::string* path : {&keyPath, &recordPath}) {
      struct stat st{};
      if (!o.force && ::lstat(path->c_str(), &st) == 0)
        throw std::runtime_error(*path + " already exists (use -f to replace it)");
    }

    const Key key = newKey(o);
    const std::string record = dkimRecordLine(o.selector, o.domain, dkimRecordValue(key.get()));
    writeKeyFile(keyPath, pemPrivateKey(key.get()), 0600, o.force, owner);
    writeKeyFile(recordPath, record + "\n", 0644, o.force);
    out << kDkim.name << ": wrote " << keyPath << " ("
        << (o.ed25519 ? std::string("ed25519") : "RSA " + std::to_string(o.bits.value_or(2048)))
        << ") and " << recordPath << "\n"
        << "Publish this record in the zone of " << o.domain << ":\n"
        << record << "\n";
    return 0;
  });
}

}  // namespace posthorn::tools
