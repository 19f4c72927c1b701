// config_defaults_test - every parameter's default is written once, in the
// table (lib/config/config_defaults.cc): the programs' Settings types can
// only be built from a config::Config, and posthorn.conf(5) shows the
// table's defaults.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <type_traits>

#include "auth/authd_settings.h"
#include "bounce/bounce_service.h"
#include "cleanup/cleanup_settings.h"
#include "imapd/imap_settings.h"
#include "lib/config/config.h"
#include "local/local_settings.h"
#include "mapd/mapd_settings.h"
#include "popd/pop3_settings.h"
#include "qmgr/qmgr_settings.h"
#include "smtp/smtp_settings.h"
#include "smtpd/smtpd_settings.h"

namespace posthorn::config {
namespace {

// A Settings type with a default constructor could carry defaults of its
// own; each one is made from a Config and nothing else.
template <class S>
constexpr bool kOnlyFromConfig =
    !std::is_default_constructible_v<S> && std::is_constructible_v<S, const Config&>;

static_assert(kOnlyFromConfig<auth::Settings>);
static_assert(kOnlyFromConfig<bounce::BounceSettings>);
static_assert(kOnlyFromConfig<cleanup::Settings>);
static_assert(kOnlyFromConfig<imapd::Settings>);
static_assert(kOnlyFromConfig<local::Settings>);
static_assert(kOnlyFromConfig<mapd::Settings>);
static_assert(kOnlyFromConfig<popd::Settings>);
static_assert(kOnlyFromConfig<qmgr::Settings>);
static_assert(kOnlyFromConfig<smtp::Settings>);
static_assert(kOnlyFromConfig<smtpd::Settings>);

std::string manPage() {
  const char* src = std::getenv("POSTHORN_SRCDIR");
  if (src == nullptr) return "";
  std::ifstream in(std::string(src) + "/man/posthorn.conf.5");
  std::stringstream page;
  page << in.rdbuf();
  return page.str();
}

// roff to text: "\-" is "-", "\e" is "\".
std::string unescape(std::string_view roff) {
  std::string out;
  for (std::size_t i = 0; i < roff.size(); ++i) {
    if (roff[i] == '\\' && i + 1 < roff.size() && (roff[i + 1] == '-' || roff[i + 1] == 'e')) {
      out += roff[++i] == '-' ? '-' : '\\';
    } else {
      out += roff[i];
    }
  }
  return out;
}

// Lists are compared without the spaces after their commas.
std::string normalised(std::string text, ParamType type) {
  if (type != ParamType::List) return text;
  for (std::size_t at; (at = text.find(", ")) != std::string::npos;) text.erase(at + 1, 1);
  return text;
}

// Entries read ".TP\n\fBname\fR (type; default: \fBvalue\fR)" or "...
// default: empty)"; a default described in words (computed, or set at build
// time) is not compared.
TEST(ConfigDefaults, ManPageShowsTheTableDefaults) {
  const std::string page = manPage();
  if (page.empty()) GTEST_SKIP() << "POSTHORN_SRCDIR not set";
  const Config defaults = Config::defaults();
  int compared = 0;
  for (const ParamInfo& p : knownParameters()) {
    const std::string head =
        "\\fB" + std::string(p.name) + "\\fR (" + std::string(typeName(p.type)) + "; default: ";
    const std::size_t at = page.find(head);
    ASSERT_NE(at, std::string::npos) << p.name;
    const std::size_t from = at + head.size();
    const std::string shown = page.substr(from, page.find(")\n", from) - from);
    std::string value;
    if (shown == "empty") {
      value = "";
    } else if (shown.size() > 6 && shown.rfind("\\fB", 0) == 0 &&
               shown.find("\\fR") == shown.size() - 3) {
      value = unescape(shown.substr(3, shown.size() - 6));
    } else {
      continue;
    }
    EXPECT_EQ(normalised(value, p.type), normalised(*defaults.defaultValue(p.name), p.type))
        << p.name;
    ++compared;
  }
  EXPECT_GT(compared, 100);
}

}  // namespace
}  // namespace posthorn::config
