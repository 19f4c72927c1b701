// userdb - asks the user database sources in order (see userdb.h)
#include "auth/userdb.h"

#include <algorithm>
#include <utility>

#include "auth/authd_settings.h"
#include "lib/auth/passwd_file.h"
#include "auth/passwd_file_userdb.h"
#include "auth/system_userdb.h"
#include "auth/virtual_maps_userdb.h"

namespace posthorn::auth {

namespace {

// Longer than any deliverable address (64 + 1 + 255), with room to spare.
constexpr std::size_t kMaxAddress = 1024;

}  // namespace

Userdb::Userdb(std::vector<std::unique_ptr<UserdbSource>> sources,
               std::vector<std::string> localDomains, std::string recipientDelimiter)
    : sources_(std::move(sources)), delimiters_(std::move(recipientDelimiter)) {
  for (const auto& d : localDomains) localDomains_.push_back(foldUser(d));
}

Userdb::~Userdb() = default;

std::unique_ptr<Userdb> Userdb::fromSettings(const Settings& settings) {
  std::vector<std::unique_ptr<UserdbSource>> sources;
  if (!settings.passwdFile.empty()) {
    sources.push_back(
        std::make_unique<PasswdFileUserdb>(settings.passwdFile, settings.defaultQuotaBytes));
  }
  if (!settings.virtualMaps.mailboxMaps.empty()) {
    sources.push_back(std::make_unique<VirtualMapsUserdb>(settings.virtualMaps));
  }
  sources.push_back(std::make_unique<SystemUserdb>());
  return std::make_unique<Userdb>(std::move(sources), settings.localDomains,
                                  settings.recipientDelimiter);
}

std::optional<UserAddress> Userdb::parseAddress(std::string_view text) const {
  if (text.empty() || text.size() > kMaxAddress) return std::nullopt;
  for (char c : text) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return std::nullopt;
  }
  UserAddress a;
  a.full = foldUser(text);
  const auto at = a.full.rfind('@');
  if (at == std::string::npos) {
    a.local = a.full;
  } else {
    a.local = a.full.substr(0, at);
    a.domain = a.full.substr(at + 1);
    while (!a.domain.empty() && a.domain.back() == '.') a.domain.pop_back();
    if (a.local.empty() || a.domain.empty()) return std::nullopt;
    a.full = a.local + "@" + a.domain;
  }
  a.localDomain = a.domain.empty() || std::find(localDomains_.begin(), localDomains_.end(),
                                                a.domain) != localDomains_.end();
  return a;
}

std::optional<ipc::UserInfo> Userdb::lookupIn(const UserAddress& address) {
  for (const auto& source : sources_) {
    if (auto user = source->lookup(address)) return user;
  }
  return std::nullopt;
}

ipc::UserdbReply Userdb::lookup(std::string_view text) {
  ipc::UserdbReply reply;
  const auto address = parseAddress(text);
  if (!address) {
    reply.status = ipc::UserdbStatus::NotFound;
    return reply;
  }
  try {
    auto user = lookupIn(*address);
    if (!user && !delimiters_.empty()) {
      const auto cut = address->local.find_first_of(delimiters_);
      if (cut != std::string::npos && cut > 0) {
        UserAddress plain = *address;
        plain.local = address->local.substr(0, cut);
        plain.full = plain.domain.empty() ? plain.local : plain.local + "@" + plain.domain;
        user = lookupIn(plain);
      }
    }
    if (user) {
      reply.status = ipc::UserdbStatus::Found;
      reply.user = std::move(*user);
    } else {
      reply.status = ipc::UserdbStatus::NotFound;
    }
  } catch (const UserdbTempFail& e) {
    reply.status = ipc::UserdbStatus::TempFail;
    reply.reason = e.what();
  }
  return reply;
}

}  // namespace posthorn::auth
