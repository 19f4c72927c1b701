// maildir_store - Maildir++ folders and the subscriptions file
#include "lib/mailbox/maildir_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>

#include "lib/mailbox/mailbox_error.h"
#include "lib/mailbox/mailbox_io.h"
#include "lib/mailbox/maildir_name.h"
#include "lib/mailbox/maildir_writer.h"

namespace posthorn::mailbox {
namespace {

bool isDirectory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

void removeTree(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return;
  if (S_ISDIR(st.st_mode)) {
    if (DIR* d = ::opendir(path.c_str())) {
      while (const dirent* e = ::readdir(d)) {
        const std::string n = e->d_name;
        if (n != "." && n != "..") removeTree(path + "/" + n);
      }
      ::closedir(d);
    }
    if (::rmdir(path.c_str()) != 0) throwMailboxError("cannot remove", path, errno);
  } else if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    throwMailboxError("cannot remove", path, errno);
  }
}

void writeAtomically(const std::string& dir, const std::string& path, const std::string& text) {
  const std::string tmp = dir + "/tmp/" + maildirUniqueName();
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) throwMailboxError("cannot create", tmp, errno);
  UnlinkGuard guard(tmp);
  writeAll(fd.get(), text.data(), text.size(), tmp);
  fsyncFd(fd.get(), tmp);
  fd.close(tmp);
  if (::rename(tmp.c_str(), path.c_str()) != 0) throwMailboxError("cannot rename " + tmp + " to", path, errno);
  guard.dismiss();
}

}  // namespace

MaildirStore::MaildirStore(std::string root, MaildirQuota quota) : root_(std::move(root)), quota_(quota) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

bool MaildirStore::isInbox(std::string_view name) {
  return name.size() == 5 && ::strncasecmp(name.data(), "INBOX", 5) == 0;
}

std::string MaildirStore::checkFolderName(std::string_view name) {
  if (name.empty()) return "empty folder name";
  if (isInbox(name)) return "";
  if (name.size() > 200) return "folder name longer than 200 bytes";
  if (name.front() == '.' || name.back() == '.') return "folder name starts or ends with the separator '.'";
  if (name.find("..") != std::string_view::npos) return "folder name has an empty level (\"..\")";
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '/') return "folder name contains '/'";
    if (u < 0x20 || u == 0x7f) return "folder name contains a control character";
  }
  return "";
}

std::string MaildirStore::folderDirectory(const std::string& name) const {
  const std::string why = checkFolderName(name);
  if (!why.empty()) throw std::invalid_argument(why + ": \"" + name + "\"");
  if (isInbox(name)) return root_;
  return root_ + "/." + name;
}

std::vector<std::string> MaildirStore::folders() const {
  std::vector<std::string> out;
  DIR* d = ::opendir(root_.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return {"INBOX"};
    throwMailboxError("cannot read directory", root_, errno);
  }
  while (const dirent* e = ::readdir(d)) {
    const std::string n = e->d_name;
    if (n.size() < 2 || n[0] != '.' || n == "..") continue;
    if (!checkFolderName(n.substr(1)).empty()) continue;
    if (isDirectory(root_ + "/" + n + "/cur")) out.push_back(n.substr(1));
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  out.insert(out.begin(), "INBOX");
  return out;
}

bool MaildirStore::folderExists(const std::string& name) const {
  return isDirectory(folderDirectory(name) + "/cur");
}

bool MaildirStore::createFolder(const std::string& name) {
  const std::string dir = folderDirectory(name);
  if (isDirectory(dir + "/cur")) return false;
  makeDirectories(root_, 0700);
  makeDirectories(dir, 0700);
  for (const char* sub : {"cur", "new", "tmp"}) makeDirectories(dir + "/" + sub, 0700);
  if (dir != root_) {
    const std::string marker = dir + "/maildirfolder";
    Fd fd(::open(marker.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd.valid()) throwMailboxError("cannot create", marker, errno);
    fd.close(marker);
  }
  return true;
}

void MaildirStore::deleteFolder(const std::string& name) {
  if (isInbox(name)) throw std::invalid_argument("INBOX cannot be deleted");
  const std::string dir = folderDirectory(name);
  if (!isDirectory(dir)) throwMailboxError("cannot delete folder", dir, ENOENT);
  for (const auto& f : folders()) {
    if (f.size() > name.size() && f.compare(0, name.size() + 1, name + ".") == 0)
      throw std::invalid_argument("folder \"" + name + "\" has subfolders");
  }
  // Quota: subtract what goes, holding maildirsize as a delivery does.
  MaildirSizeFile sizeFile = MaildirSizeFile::open(root_, MaildirQuota{}, 0);
  MaildirUsage usage;
  addDirectoryUsage(dir + "/cur", usage, UsageCount::Tolerant);
  addDirectoryUsage(dir + "/new", usage, UsageCount::Tolerant);
  // Renamed away first, so no delivery lands in a half-removed folder.
  const std::string trash = root_ + "/tmp/deleted." + maildirUniqueName();
  if (::rename(dir.c_str(), trash.c_str()) != 0) throwMailboxError("cannot rename " + dir + " to", trash, errno);
  if (usage.messages > 0) {
    try {
      sizeFile.add(-usage.bytes, -usage.messages);
    } catch (const MailboxError&) {
      ::unlink(sizeFile.path().c_str());
    }
  }
  removeTree(trash);
  setSubscribed(name, false);
}

void MaildirStore::renameFolder(const std::string& from, const std::string& to) {
  if (isInbox(from) || isInbox(to)) throw std::invalid_argument("INBOX cannot be renamed here");
  const std::string src = folderDirectory(from);
  const std::string dst = folderDirectory(to);
  if (!isDirectory(src)) throwMailboxError("cannot rename folder", src, ENOENT);
  if (isDirectory(dst)) throwMailboxError("cannot rename folder to", dst, EEXIST);
  std::vector<std::string> children;
  for (const auto& f : folders()) {
    if (f.size() > from.size() && f.compare(0, from.size() + 1, from + ".") == 0) children.push_back(f);
  }
  if (::rename(src.c_str(), dst.c_str()) != 0) throwMailboxError("cannot rename " + src + " to", dst, errno);
  for (const auto& c : children) {
    const std::string cs = folderDirectory(c);
    const std::string cd = folderDirectory(to + c.substr(from.size()));
    if (::rename(cs.c_str(), cd.c_str()) != 0) throwMailboxError("cannot rename " + cs + " to", cd, errno);
  }
  fsyncDirectory(root_);
  const auto subs = subscriptions();
  for (const auto& s : subs) {
    if (s == from || (s.size() > from.size() && s.compare(0, from.size() + 1, from + ".") == 0)) {
      setSubscribed(s, false);
      setSubscribed(to + s.substr(from.size()), true);
    }
  }
}

std::vector<std::string> MaildirStore::subscriptions() const {
  const std::string path = root_ + "/subscriptions";
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return {};
    throwMailboxError("cannot open", path, errno);
  }
  const std::string text = readAll(fd.get(), path);
  std::vector<std::string> out;
  std::size_t pos = 0;
  bool version2 = false;
  bool first = true;
  while (pos < text.size()) {
    const auto eol = text.find('\n', pos);
    std::string line = text.substr(pos, eol == std::string::npos ? std::string::npos : eol - pos);
    pos = eol == std::string::npos ? text.size() : eol + 1;
    if (first && line.rfind("V\t", 0) == 0) {
      version2 = true;
      first = false;
      continue;
    }
    first = false;
    if (line.empty()) continue;
    if (version2) std::replace(line.begin(), line.end(), '\t', '.');
    if (std::find(out.begin(), out.end(), line) == out.end()) out.push_back(line);
  }
  return out;
}

void MaildirStore::setSubscribed(const std::string& name, bool subscribed) {
  const std::string why = checkFolderName(name);
  if (!why.empty()) throw std::invalid_argument(why + ": \"" + name + "\"");
  auto subs = subscriptions();
  const auto it = std::find(subs.begin(), subs.end(), name);
  if (subscribed == (it != subs.end())) return;
  if (subscribed) {
    subs.push_back(name);
  } else {
    subs.erase(it);
  }
  std::string text;
  for (const auto& s : subs) text += s + "\n";
  makeDirectories(root_ + "/tmp", 0700);
  writeAtomically(root_, root_ + "/subscriptions", text);
}

MaildirFolder MaildirStore::folder(const std::string& name) const { return MaildirFolder(folderDirectory(name), root_); }

DeliveryResult MaildirStore::deliver(const std::string& folderName, MessageSource& source, const MessageFlags& flags) {
  return deliverToMaildirFolder(root_, folderDirectory(folderName), source, quota_, flags);
}

}  // namespace posthorn::mailbox
