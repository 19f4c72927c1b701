// dkim_key_cache - DKIM signing keys decoded once per process, not once per
// message
//
// libopendkim takes the signing key as PEM text and decodes it for every
// message (dkim_privkey_load calls PEM_read_bio_PrivateKey); OpenSSL then
// also sets up RSA blinding for each new key object. Measured in cleanup,
// the two were 40% of the signing CPU (doc/outbound-trust.md). libopendkim
// has no call that takes a decoded key, so this file defines
// PEM_read_bio_PrivateKey in the program itself: the dynamic linker binds
// libopendkim's call to it (ELF symbol interposition). A memory BIO that
// holds exactly the text of a key registered here is answered with that
// key, decoded once (a new reference, which libopendkim frees as usual);
// every other call goes on to libcrypto's function unchanged.
//
// Only programs that call registerDkimKey() (cleanup, through DkimSigner)
// link this file; posthorn's own key reading calls PEM_read_bio_PrivateKey_ex
// so that it does not pull the file in elsewhere.
#pragma once

#include <string>

namespace posthorn::mailauth {

// Decodes the PEM key now and remembers it by its text. Throws
// std::runtime_error when it does not decode.
void registerDkimKey(const std::string& pem);

// How often a registered key was answered from the cache (tests, bench).
unsigned long dkimKeyCacheHits();

}  // namespace posthorn::mailauth
