// srs_test - SRS addresses (lib/address/srs): the vectors were made by
// python3-srs (Debian's pysrs, an independent implementation of the same
// Guarded scheme) with the secret "s3cret" on 2026-12-06
#include "lib/address/srs.h"

#include <gtest/gtest.h>

namespace posthorn::address {
namespace {

constexpr std::time_t kNow = 1796515200 + 3600;  // 2026-12-06 01:00 UTC
constexpr std::time_t kDay = 86400;

SrsCodec codec() { return SrsCodec("fwd.test", {"s3cret"}, 21); }

TEST(Srs, ForwardMatchesPysrs) {
  const SrsCodec srs = codec();
  EXPECT_EQ(srs.forward("Alice@Sender.Test", kNow), "SRS0=WvMq=JZ=Sender.Test=Alice@fwd.test");
  EXPECT_EQ(srs.forward("SRS0=abcd=XY=first.test=bob@first.test", kNow),
            "SRS1=GRsH=first.test==abcd=XY=first.test=bob@fwd.test");
  EXPECT_EQ(srs.forward("SRS1=wxyz=first.test==abcd=XY=orig.test=carol@second.test", kNow),
            "SRS1=rN7T=first.test==abcd=XY=orig.test=carol@fwd.test");
}

TEST(Srs, NullSenderAndOurOwnDomainAreKept) {
  const SrsCodec srs = codec();
  EXPECT_EQ(srs.forward("", kNow), "");
  EXPECT_EQ(srs.forward("bob@FWD.test", kNow), "bob@FWD.test");
  EXPECT_EQ(srs.forward("no-domain", kNow), "no-domain");
}

TEST(Srs, ReverseMatchesPysrs) {
  const SrsCodec srs = codec();
  std::string why;
  EXPECT_EQ(srs.reverse("SRS0=WvMq=JZ=Sender.Test=Alice@fwd.test", kNow, &why), "Alice@Sender.Test");
  EXPECT_EQ(srs.reverse("SRS1=GRsH=first.test==abcd=XY=first.test=bob@fwd.test", kNow, &why),
            "SRS0=abcd=XY=first.test=bob@first.test");
  EXPECT_EQ(srs.reverse("srs0=WvMq=JZ=Sender.Test=Alice@FWD.TEST", kNow, &why), "Alice@Sender.Test")
      << "the tag and our domain in any case";
  EXPECT_EQ(srs.reverse("SRS0=wvmq=jz=sender.test=alice@fwd.test", kNow, &why), "alice@sender.test")
      << "a relay that lowered the case: the hash still matches without case";
}

TEST(Srs, RoundTripEveryDayOfTheAgeAndNotAfter) {
  const SrsCodec srs = codec();
  const std::string a = srs.forward("carol@example.org", kNow);
  std::string why;
  for (int d = 0; d <= 21; ++d) EXPECT_EQ(srs.reverse(a, kNow + d * kDay, &why), "carol@example.org") << d;
  EXPECT_FALSE(srs.reverse(a, kNow + 22 * kDay, &why));
  EXPECT_EQ(why, "expired SRS address");
  EXPECT_FALSE(srs.reverse(a, kNow - kDay, &why)) << "a day from the future";
}

TEST(Srs, ForgedAndMalformedAddressesAreRefused) {
  const SrsCodec srs = codec();
  std::string why;
  EXPECT_FALSE(srs.reverse("SRS0=AAAA=JZ=Sender.Test=Alice@fwd.test", kNow, &why));
  EXPECT_EQ(why, "bad SRS hash");
  EXPECT_FALSE(srs.reverse("SRS0=WvMq=JZ=Sender.Test=Mallory@fwd.test", kNow, &why)) << "another user";
  EXPECT_FALSE(srs.reverse("SRS0=WvMq=JZ=evil.test=Alice@fwd.test", kNow, &why)) << "another domain";
  EXPECT_FALSE(srs.reverse("SRS1=AAAA=first.test==abcd=XY=first.test=bob@fwd.test", kNow, &why));
  EXPECT_FALSE(srs.reverse("SRS0=WvMq=JZ@fwd.test", kNow, &why));
  EXPECT_EQ(why, "malformed SRS0 address");
  EXPECT_FALSE(srs.reverse("SRS0=WvMq=JZ=Sender.Test=Alice@other.test", kNow, &why)) << "not our domain";
  EXPECT_FALSE(srs.isSrsAddress("SRS0=WvMq=JZ=Sender.Test=Alice@other.test"));
  EXPECT_FALSE(srs.isSrsAddress("srsuser@fwd.test"));
  EXPECT_TRUE(srs.isSrsAddress("SRS1=x@fwd.test"));
}

TEST(Srs, OldSecretsStillVerifyTheFirstSigns) {
  const SrsCodec old = codec();
  const SrsCodec rotated("fwd.test", {"n3w", "s3cret"}, 21);
  std::string why;
  const std::string a = old.forward("alice@sender.test", kNow);
  EXPECT_EQ(rotated.reverse(a, kNow, &why), "alice@sender.test");
  EXPECT_NE(rotated.forward("alice@sender.test", kNow), a);
  EXPECT_FALSE(old.reverse(rotated.forward("alice@sender.test", kNow), kNow, &why));
}

}  // namespace
}  // namespace posthorn::address
