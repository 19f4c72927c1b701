// mailbox_property_test - random deliver / flag / expunge / rename and drop
// by another program / crash (kill -9 of a forked child writing the index)
// against a model. Invariants: a message keeps its UID for life, a UID is
// never given to two messages, UIDVALIDITY never changes, no message is
// lost, the index agrees with the files after a sync, and maildirsize
// equals the real total (after a repair, when a crash cut an update).
// The seed is printed; MAILBOX_PROPERTY_SEED=<n> replays one run.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "lib/mailbox/dovecot_keywords.h"
#include "lib/mailbox/mailbox_check.h"
#include "lib/mailbox/maildir_folder.h"
#include "lib/mailbox/maildir_quota.h"
#include "lib/mailbox/maildir_writer.h"
#include "test/unit/test_util.h"

namespace posthorn::mailbox {
namespace {

using namespace posthorn::testing;

const MaildirQuota kQuota{1u << 30, 100000};

struct ModelMessage {
  std::string base;
  std::uint8_t flags = 0;
};

class PropertyRun {
 public:
  PropertyRun(std::uint64_t seed, const std::string& dir) : rng_(seed), seed_(seed), md_(dir) {}

  void run(int steps) {
    deliver();  // makes the Maildir and its maildirsize
    for (int step = 0; step < steps; ++step) {
      step_ = step;
      const int op = pick(100);
      if (op < 35) {
        deliver();
      } else if (op < 55) {
        flag();
      } else if (op < 67) {
        expunge();
      } else if (op < 80) {
        renameOutside();
      } else if (op < 88) {
        dropOutside();
      } else if (op < 93) {
        crash();
      } else {
        verify(true);
      }
      if (::testing::Test::HasFatalFailure()) return;
    }
    verify(true);
  }

 private:
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  std::string where() const { return "seed " + std::to_string(seed_) + " step " + std::to_string(step_); }

  std::string message() {
    std::string m = "Subject: " + std::to_string(counter_++) + "\n\n";
    m.append(static_cast<std::size_t>(pick(400)), 'x');
    m += '\n';
    return m;
  }

  MaildirFolder& folder() {
    if (!folder_) {
      folder_ = std::make_unique<MaildirFolder>(md_, md_);
      folder_->open();
    }
    folder_->refresh();
    return *folder_;
  }

  std::uint32_t randomUid() {
    if (model_.empty()) return 0;
    auto it = model_.begin();
    std::advance(it, pick(static_cast<int>(model_.size())));
    return it->first;
  }

  // immediate: the UID was just given (a delivery), so it must be above
  // every UID seen so far; otherwise it was given by some sync since the
  // last look and only has to be new.
  void adopt(std::uint32_t uid, const std::string& base, bool immediate) {
    const auto known = uidOfBase_.find(base);
    if (known != uidOfBase_.end()) {
      ASSERT_EQ(known->second, uid) << where() << ": message " << base << " changed its UID";
      return;
    }
    ASSERT_FALSE(baseOfUid_.count(uid)) << where() << ": UID " << uid << " given twice";
    if (immediate) {
      ASSERT_GT(uid, highestUid_) << where() << ": new UID below an earlier one";
    }
    uidOfBase_[base] = uid;
    baseOfUid_[uid] = base;
    highestUid_ = std::max(highestUid_, uid);
  }

  void deliver() {
    StringSource s(message());
    const DeliveryResult r = deliverToMaildir(md_, s, kQuota);
    ASSERT_TRUE(r.ok()) << where() << ": " << r.text;
    ASSERT_NE(r.uid, 0u) << where();
    const std::string base(maildirBase(r.path.substr(r.path.rfind('/') + 1)));
    adopt(r.uid, base, true);
    model_[r.uid] = ModelMessage{base, 0};
  }

  void flag() {
    const std::uint32_t uid = randomUid();
    if (uid == 0) return;
    MessageFlags f;
    f.system = static_cast<std::uint8_t>(pick(64));
    const auto changed = folder().storeFlags({uid}, f, FlagMode::Replace);
    // A rename by the other program is picked up by the store's sync:
    // either way the model's message now has these flags.
    (void)changed;
    model_[uid].flags = f.system;
  }

  void expunge() {
    const std::uint32_t uid = randomUid();
    if (uid == 0) return;
    const auto done = folder().expunge({uid});
    ASSERT_EQ(done, (std::vector<std::uint32_t>{uid})) << where();
    model_.erase(uid);
  }

  // mutt renames a file to change its flags.
  void renameOutside() {
    const std::uint32_t uid = randomUid();
    if (uid == 0) return;
    const ModelMessage& m = model_[uid];
    std::string from;
    for (const char* sub : {"/new/", "/cur/"}) {
      for (const auto& n : listDir(md_ + sub)) {
        if (maildirBase(n) == m.base) from = md_ + sub + n;
      }
    }
    ASSERT_FALSE(from.empty()) << where() << ": file of UID " << uid << " lost";
    const auto flags = static_cast<std::uint8_t>(pick(64));
    const std::string to = md_ + "/cur/" + m.base + ":2," + systemFlagLetters(flags);
    ASSERT_EQ(::rename(from.c_str(), to.c_str()), 0) << where();
    model_[uid].flags = flags;
  }

  // Another MDA drops a file into new/ (and keeps maildirsize, as Maildir++ wants).
  void dropOutside() {
    const std::string body = message();
    const std::string base = "999" + std::to_string(counter_) + ".M1P1.other";
    writeFile(md_ + "/tmp/" + base, body);
    ASSERT_EQ(::rename((md_ + "/tmp/" + base).c_str(), (md_ + "/new/" + base).c_str()), 0);
    {
      MaildirSizeFile sizeFile = MaildirSizeFile::open(md_, kQuota, body.size());
      sizeFile.add(static_cast<std::int64_t>(body.size()), 1);
    }
    pendingDrops_.insert(base);
  }

  // A child delivers, flags and expunges in a loop; kill -9 at a random instant.
  void crash() {
    const std::uint64_t childSeed = rng_();
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      std::mt19937_64 r(childSeed);
      MaildirFolder f(md_, md_);
      f.open();
      for (int i = 0;; ++i) {
        f.refresh();
        const auto& ms = f.messages();
        const int op = static_cast<int>(r() % 4);
        if (op == 0 || ms.empty()) {
          StringSource s("Subject: child " + std::to_string(i) + "\n\nbody\n");
          deliverToMaildir(md_, s, kQuota);
        } else if (op == 1) {
          MessageFlags fl;
          fl.system = static_cast<std::uint8_t>(r() % 64);
          f.storeFlags({ms[r() % ms.size()].uid}, fl, FlagMode::Replace);
        } else if (op == 2) {
          f.expunge({ms[r() % ms.size()].uid});
        } else {
          f.sync();
        }
      }
    }
    std::this_thread::sleep_for(std::chrono::microseconds(pick(30000)));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ++crashes_;
    crashed_ = true;
    folder_.reset();
    // What the child did is only known from the disk now.
    verify(false);
  }

  // Syncs, then compares the index with the files and the model.
  void verify(bool modelExact) {
    MaildirFolder fresh(md_, md_);
    const SyncChanges opened = fresh.open();
    ASSERT_FALSE(opened.rebuilt) << where() << ": the index had to be rebuilt";
    fresh.sync();
    if (validity_ == 0) validity_ = fresh.header().uidValidity;
    ASSERT_EQ(fresh.header().uidValidity, validity_) << where() << ": UIDVALIDITY changed";

    const DovecotKeywords kw = DovecotKeywords::load(md_);
    std::map<std::string, std::string> files;  // base -> name
    for (const char* sub : {"/new/", "/cur/"}) {
      for (const auto& n : listDir(md_ + sub)) files[std::string(maildirBase(n))] = n;
    }
    ASSERT_EQ(fresh.messages().size(), files.size()) << where() << ": index and directory differ";
    std::map<std::uint32_t, ModelMessage> now;
    std::size_t dropped = 0;  // files other programs dropped in since the last verify
    for (const auto& m : fresh.messages()) {
      ASSERT_TRUE(files.count(m.base())) << where() << ": UID " << m.uid << " has no file";
      ASSERT_EQ(m.flags, kw.flagsFromName(files[m.base()])) << where() << ": flags of UID " << m.uid;
      ASSERT_LT(m.uid, fresh.header().uidNext) << where();
      adopt(m.uid, m.base(), false);
      if (::testing::Test::HasFatalFailure()) return;
      now[m.uid] = ModelMessage{m.base(), m.flags.system};
      dropped += pendingDrops_.erase(m.base());
    }
    if (!modelExact) {
      // The crashed child may have expunged a dropped file.
      std::erase_if(pendingDrops_, [&files](const std::string& b) { return !files.count(b); });
    }
    ASSERT_TRUE(pendingDrops_.empty()) << where() << ": a dropped file got no UID";
    if (modelExact) {
      ASSERT_EQ(now.size(), model_.size() + dropped) << where() << ": message count";
      for (const auto& [uid, m] : model_) {
        ASSERT_TRUE(now.count(uid)) << where() << ": UID " << uid << " lost";
        ASSERT_EQ(now[uid].base, m.base) << where();
        ASSERT_EQ(now[uid].flags, m.flags) << where() << ": flags of UID " << uid;
      }
    } else {
      // The child expunges and flags, but never loses a message it did not expunge:
      // every model message still present keeps its UID (checked by adopt).
    }
    model_ = now;

    MaildirUsage recorded = parseMaildirSize(readFile(md_ + "/maildirsize")).usage;
    const MaildirUsage real = scanMaildirUsage(md_);
    if (crashed_ && !(recorded == real)) {
      // A kill between a rename and its maildirsize line: repair recounts.
      repairFolder(md_, md_);
      recorded = parseMaildirSize(readFile(md_ + "/maildirsize")).usage;
      ++repairs_;
    }
    crashed_ = false;
    ASSERT_EQ(recorded.bytes, real.bytes) << where() << ": maildirsize bytes";
    ASSERT_EQ(recorded.messages, real.messages) << where() << ": maildirsize count";
    ASSERT_TRUE(checkFolder(md_, md_).ok()) << where() << ": check finds problems after sync";
  }

 public:
  int crashes_ = 0;
  int repairs_ = 0;

 private:
  std::mt19937_64 rng_;
  std::uint64_t seed_;
  std::string md_;
  int step_ = 0;
  int counter_ = 0;
  bool crashed_ = false;
  std::uint32_t validity_ = 0;
  std::uint32_t highestUid_ = 0;
  std::unique_ptr<MaildirFolder> folder_;
  std::map<std::uint32_t, ModelMessage> model_;
  std::map<std::string, std::uint32_t> uidOfBase_;
  std::map<std::uint32_t, std::string> baseOfUid_;
  std::set<std::string> pendingDrops_;
};

TEST(MailboxProperty, RandomOperationsAndCrashesKeepUidsStable) {
  std::vector<std::uint64_t> seeds;
  if (const char* s = std::getenv("MAILBOX_PROPERTY_SEED")) {
    seeds.push_back(std::stoull(s));
  } else {
    std::random_device rd;
    for (int i = 0; i < 3; ++i) seeds.push_back((static_cast<std::uint64_t>(rd()) << 32) | rd());
  }
  for (const std::uint64_t seed : seeds) {
    std::printf("mailbox property run: MAILBOX_PROPERTY_SEED=%llu\n", static_cast<unsigned long long>(seed));
    std::fflush(stdout);
    TempDir dir;
    PropertyRun run(seed, dir.path() + "/Maildir");
    run.run(250);
    std::printf("  %d crashes, %d quota repairs\n", run.crashes_, run.repairs_);
    if (HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace posthorn::mailbox
