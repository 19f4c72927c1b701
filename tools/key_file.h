// key_file - writing private keys and the files that go with them, for
// the commands that make keys (posthorn tls, posthorn dkim)
//
//   writeKeyFile(dir + "/posthorn.key", pemPrivateKey(key), 0600, force);
//
// A file is written through a temporary file (create with the mode, write,
// fsync, then link or rename), so a reader never sees half a key. Without
// force an existing file is kept and the call throws. Errors are
// std::runtime_error naming the path.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include <openssl/evp.h>

namespace posthorn::tools {

struct FileOwner {
  uid_t uid;
  gid_t gid;
};

// owner: given to the file through its descriptor before it gets its name
// (never chown by path in a directory someone else can write to).
void writeKeyFile(const std::string& path, const std::string& text, mode_t mode, bool force,
                  std::optional<FileOwner> owner = std::nullopt);

// PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"); the memory copy is cleansed.
std::string pemPrivateKey(EVP_PKEY* key);

}  // namespace posthorn::tools
