// tls_test - TLS protocol lists, context errors, and the ahead-of-time
// check of every smtpd service's key and certificate (lib/tls)
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <openssl/ssl.h>

#include "lib/config/config.h"
#include "lib/config/master_conf.h"
#include "lib/tls/tls.h"
#include "lib/tls/tls_check.h"
#include "tools/tls_command.h"

namespace posthorn {
namespace {

TEST(TlsProtocols, Parse) {
  auto r = tls::parseProtocols(">=TLSv1.2");
  EXPECT_EQ(r.min, TLS1_2_VERSION);
  EXPECT_EQ(r.max, 0);
  r = tls::parseProtocols("!SSLv2, !SSLv3, !TLSv1, !TLSv1.1");
  EXPECT_EQ(r.min, TLS1_2_VERSION);
  r = tls::parseProtocols("!SSLv2 !SSLv3");  // Postfix's old default: still 1.2+
  EXPECT_EQ(r.min, TLS1_2_VERSION);
  r = tls::parseProtocols("TLSv1.3");
  EXPECT_EQ(r.min, TLS1_3_VERSION);
  EXPECT_EQ(r.max, TLS1_3_VERSION);
  r = tls::parseProtocols("<=TLSv1.2");
  EXPECT_EQ(r.max, TLS1_2_VERSION);
  std::vector<std::string> warnings;
  r = tls::parseProtocols(">=TLSv1", &warnings);
  EXPECT_EQ(r.min, TLS1_2_VERSION);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("TLSv1 TLSv1.1 not enabled"), std::string::npos) << warnings[0];
  EXPECT_THROW(tls::parseProtocols("TLSv1.1"), tls::TlsError);
  EXPECT_THROW(tls::parseProtocols("TLSv9"), tls::TlsError);
  EXPECT_THROW(tls::parseProtocols("!TLSv1.2 !TLSv1.3"), tls::TlsError);
}

TEST(TlsContext, MissingFilesAreClearErrors) {
  tls::ServerSettings s;
  s.certFile = "/nonexistent/posthorn.crt";
  try {
    tls::Context::server(s);
    FAIL() << "no error";
  } catch (const tls::TlsError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/posthorn.crt"), std::string::npos);
  }
}

// posthorn check / start: every smtpd service's key is loaded before the
// first client, with the service's -o overrides.
TEST(TlsCheck, ReportsEachServiceWhoseKeyCannotBeLoaded) {
  char tmpl[] = "/tmp/tls_check.XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  { std::ofstream(dir + "/posthorn.conf") << "myhostname = mx.example.org\n"; }
  std::ostringstream out, err;
  ASSERT_EQ(tools::runTls({"selfsigned", "-c", dir}, out, err), 0) << err.str();
  const auto cfg = config::Config::parse("smtpd_tls_cert_file = " + dir + "/tls/posthorn.crt\n" +
                                             "smtpd_tls_key_file = " + dir + "/tls/posthorn.key\n",
                                         "posthorn.conf");
  const auto services = config::parseMasterConf(
      "25 inet n - y - - smtpd\n"
      "465 inet n - y - - smtpd -o smtpd_tls_wrappermode=yes -o smtpd_tls_key_file=/nonexistent/k\n"
      "587 inet n - y - - smtpd -o smtpd_tls_security_level=encrypt\n"
      "cleanup unix n - y - 0 cleanup\n",
      "master.conf");
  auto errors = tls::checkServiceTls(cfg, services);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind("master.conf:2: service 465: ", 0), 0u) << errors[0];
  EXPECT_NE(errors[0].find("/nonexistent/k"), std::string::npos) << errors[0];
  // No certificate: plain services are fine, a TLS one is not.
  errors = tls::checkServiceTls(config::Config::parse("", "posthorn.conf"), services);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_NE(errors[0].find("smtpd_tls_wrappermode = yes needs smtpd_tls_cert_file"),
            std::string::npos) << errors[0];
  EXPECT_NE(errors[1].find("smtpd_tls_security_level = encrypt needs smtpd_tls_cert_file"),
            std::string::npos) << errors[1];
  std::remove((dir + "/tls/posthorn.key").c_str());
  std::remove((dir + "/tls/posthorn.crt").c_str());
  std::remove((dir + "/tls").c_str());
  std::remove((dir + "/posthorn.conf").c_str());
  std::remove(dir.c_str());
}

}  // namespace
}  // namespace posthorn
