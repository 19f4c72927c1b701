// command_test - the tools/ command scaffold (ArgCursor, Command, configDirectory)
// and the usage errors of the commands that stand on it, word for word.
#include "test/unit/command_test_util.h"
#include "tools/command.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "lib/config/config.h"
#include "tools/check_command.h"
#include "tools/conf_command.h"
#include "tools/mailbox_command.h"
#include "tools/queue_command.h"
#include "tools/start_command.h"
#include "tools/tls_command.h"

namespace posthorn::tools {
namespace {

using Args = std::vector<std::string>;

// What a cursor saw: "-x" per option ("-x=VALUE" when it took one), then the
// operands; or "error: ..." from the first UsageError.
std::string walk(const Args& args, Syntax syntax = {}, const std::string& withValue = "cqd") {
  ArgCursor arg(args, syntax);
  std::string seen;
  try {
    while (arg.next()) {
      const char c = arg.option();
      if (withValue.find(c) != std::string::npos) {
        seen += std::string("-") + c + "=" + arg.value() + " ";
      } else if (c == 'a' || c == 'b') {
        arg.alone();
        seen += std::string("-") + c + " ";
      } else {
        arg.unknown();
      }
    }
    seen += "|";
    for (const auto& o : arg.operands()) seen += " " + o;
  } catch (const UsageError& e) {
    return std::string("error: ") + e.what();
  }
  return seen;
}

TEST(ArgCursor, OptionsValuesAndOperandsInAnyOrder) {
  EXPECT_EQ(walk({}), "|");
  EXPECT_EQ(walk({"-a", "file", "-qKEY", "-c", "DIR", "more"}), "-a -q=KEY -c=DIR | file more");
  EXPECT_EQ(walk({"-c", "-a"}), "-c=-a |") << "a value may look like an option";
  EXPECT_EQ(walk({"-c", ""}), "-c= |");
  EXPECT_EQ(walk({"-", "-a"}), "-a | -") << "a lone - is an operand";
  EXPECT_EQ(walk({""}), "| ");
}

TEST(ArgCursor, DoubleDashEndsTheOptions) {
  EXPECT_EQ(walk({"x", "--", "-a", "--"}), "| x -a --");
  EXPECT_EQ(walk({"--"}, {.endMarker = false}), "error: unknown option --");
  EXPECT_EQ(walk({"--help"}), "error: unknown option --help");
}

TEST(ArgCursor, OptionsFirst) {
  EXPECT_EQ(walk({"-a", "x", "-b"}, {.permute = false}), "-a | x -b");
  EXPECT_EQ(walk({"-", "-a"}, {.permute = false}), "| - -a");
}

TEST(ArgCursor, MisuseMessages) {
  EXPECT_EQ(walk({"-x"}), "error: unknown option -x");
  EXPECT_EQ(walk({"file", "-xyz"}), "error: unknown option -xyz");
  EXPECT_EQ(walk({"-ab"}), "error: unknown option -ab") << "a flag stands alone";
  EXPECT_EQ(walk({"-a", "-q"}), "error: option -q needs a value");

  ArgCursor arg({"-c"});
  ASSERT_TRUE(arg.next());
  EXPECT_THROW(
      {
        try {
          arg.value("a directory");
        } catch (const UsageError& e) {
          EXPECT_STREQ(e.what(), "-c needs a directory");
          throw;
        }
      },
      UsageError);
}

TEST(ArgCursor, Clusters) {
  const Syntax clusters{.clusters = true};
  EXPECT_EQ(walk({"-ab", "-bcDIR", "x", "-ac", "D2"}, clusters), "-a -b -b -c=DIR -a -c=D2 | x");
  EXPECT_EQ(walk({"-abx"}, clusters), "error: unknown option -x") << "the letter, not the argument";
  EXPECT_EQ(walk({"-ac"}, clusters), "error: option -c needs a value");
}

TEST(ArgCursor, AttachedValueIsOptionalAndEndsTheCluster) {
  ArgCursor arg({"-q30m", "-q", "rcpt", "-aq"}, {.clusters = true});
  std::vector<std::string> values;
  while (arg.next()) {
    if (arg.option() == 'q') values.push_back(arg.attachedValue());
  }
  EXPECT_EQ(values, (std::vector<std::string>{"30m", "", ""}));
  EXPECT_EQ(arg.operands(), (Args{"rcpt"}));
}

TEST(ArgCursor, StopMakesTheOptionTheFirstOperand) {
  ArgCursor arg({"-cDIR", "-x", "list", "-c"}, {.permute = false});
  ASSERT_TRUE(arg.next());
  EXPECT_EQ(arg.value(), "DIR");
  ASSERT_TRUE(arg.next());
  EXPECT_EQ(arg.arg(), "-x");
  arg.stop();
  EXPECT_FALSE(arg.next());
  EXPECT_EQ(arg.operands(), (Args{"-x", "list", "-c"}));
}

TEST(ArgCursor, ExactlyOneOperand) {
  ArgCursor one({"-a", "USER"});
  while (one.next()) {
  }
  EXPECT_EQ(one.operand("USER"), "USER");
  ArgCursor two({"a", "b"});
  while (two.next()) {
  }
  try {
    two.operand("table");
    ADD_FAILURE() << "two operands were taken for one";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "expected exactly one table, got 2");
  }
}

TEST(Command, MisusedAndFailedPrintAndReturnTheirStatus) {
  constexpr Command kCmd{"posthorn thing", "usage: posthorn thing\n       posthorn thing -x", 2, 3};
  std::ostringstream err;
  EXPECT_EQ(kCmd.misused(err, "unknown option -y"), 2);
  EXPECT_EQ(err.str(), "posthorn thing: unknown option -y\nusage: posthorn thing\n       posthorn thing -x\n");
  err.str("");
  EXPECT_EQ(kCmd.failed(err, "cannot open x"), 3);
  EXPECT_EQ(err.str(), "posthorn thing: cannot open x\n");
  err.str("");
  EXPECT_EQ((Command{"sendmail: fatal", "", 64}.misused(err, "why")), 64);
  EXPECT_EQ(err.str(), "sendmail: fatal: why\n") << "no usage text, no usage line";
}

TEST(Command, RunMapsExceptionsToStatuses) {
  constexpr Command kCmd{"x", "usage: x", 2, 1};
  std::ostringstream err;
  EXPECT_EQ(kCmd.run(err, [] { return 7; }), 7);
  EXPECT_EQ(err.str(), "");
  EXPECT_EQ(kCmd.run(err, []() -> int { throw UsageError("bad"); }), 2);
  EXPECT_EQ(err.str(), "x: bad\nusage: x\n");
  err.str("");
  EXPECT_EQ(kCmd.run(err, []() -> int { throw std::runtime_error("f:1: broken"); }), 1);
  EXPECT_EQ(err.str(), "x: f:1: broken\n");
}

TEST(ConfigDirectory, EmptyMeansTheDefault) {
  ::setenv("MAIL_CONFIG", "/nonexistent/mail", 1);
  EXPECT_EQ(configDirectory(""), "/nonexistent/mail");
  EXPECT_EQ(configDirectory("/etc/other"), "/etc/other");
  ::unsetenv("MAIL_CONFIG");
  EXPECT_EQ(configDirectory(""), config::defaultConfigDir());
}

// Each command's misuse, as its users and scripts have seen it.
using testing::capture;
using testing::Outcome;

TEST(CommandUsage, Mailbox) {
  auto mailbox = [](const Args& a) {
    return capture([&](std::ostream& o, std::ostream& e) { return runMailbox(a, o, e); });
  };
  const std::string usage =
      "usage: posthorn [-c DIR] mailbox check|repair|list [-d MAILDIR | USER] [FOLDER]\n"
      "       posthorn [-c DIR] mailbox deliver [-f FLAGS] [-d MAILDIR | USER] [FOLDER] < message\n";
  Outcome r = mailbox({"check", "-d"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "posthorn mailbox: -d needs a value\n" + usage);
  EXPECT_EQ(mailbox({"-d/x", "check"}).err, "posthorn mailbox: unknown option -d/x\n" + usage);
  EXPECT_EQ(mailbox({"--", "check"}).err, "posthorn mailbox: unknown option --\n" + usage);
  EXPECT_EQ(mailbox({"frob"}).err, "posthorn mailbox: unknown action \"frob\"\n" + usage);
  EXPECT_EQ(mailbox({"deliver", "-d", "/x", "-f", "\\Bogus"}).err,
            "posthorn mailbox: unknown system flag \\Bogus\n" + usage);
}

TEST(CommandUsage, Queue) {
  auto queue = [](const Args& a) {
    return capture([&](std::ostream& o, std::ostream& e) { return runQueue(a, o, e); });
  };
  const std::string usage =
      "usage: posthorn queue [-c DIR] list\n"
      "       posthorn queue [-c DIR] show ID\n"
      "       posthorn queue [-c DIR] flush\n"
      "       posthorn queue [-c DIR] hold ID...|ALL\n"
      "       posthorn queue [-c DIR] release ID...|ALL\n"
      "       posthorn queue [-c DIR] delete ID...|ALL\n";
  Outcome r = queue({"-c"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "posthorn: fatal: -c needs a directory\n" + usage);
  EXPECT_EQ(queue({"-c/x"}).err, "posthorn: fatal: no queue command given\n" + usage);
  r = queue({"-c/x", "--help", "-c"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, usage);
  r = queue({"-c", "/nonexistent", "-x"});  // the configuration comes before the queue command
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err.rfind("posthorn: fatal: /nonexistent/posthorn.conf", 0), 0u) << r.err;
}

TEST(CommandUsage, ConfAndCheck) {
  auto conf = [](const Args& a) {
    return capture([&](std::ostream& o, std::ostream& e) { return runConf(a, o, e); });
  };
  const std::string usage = "posthorn: fatal: usage: posthorn conf [-c DIR] [-d] [-h] [-n] [name...]\n";
  Outcome r = conf({"-dnx"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "posthorn: fatal: unknown option -x\n" + usage);
  EXPECT_EQ(conf({"-hc"}).err, "posthorn: fatal: -c needs a directory\n" + usage);
  r = conf({"-dn"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "posthorn: fatal: -d and -n cannot be used together\n");

  for (const Args& bad : {Args{"-c"}, Args{"-x"}, Args{"--"}, Args{"-c", "/x", "extra"}}) {
    r = capture([&](std::ostream& o, std::ostream& e) { return runCheck(bad, o, e); });
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err, "posthorn: fatal: usage: posthorn check [-c DIR]\n");
  }
}

TEST(CommandUsage, Lifecycle) {
  auto status = [](const Args& a) {
    return capture([&](std::ostream& o, std::ostream& e) { return runLifecycle("status", a, o, e); });
  };
  for (const std::string& bad : Args{"-x", "-vx", "--", "extra"}) {
    const Outcome r = status({"-v", bad});
    EXPECT_EQ(r.status, 2);
    EXPECT_EQ(r.err, "posthorn/posthorn: fatal: status: unexpected argument \"" + bad +
                         "\"\nusage: posthorn [-c DIR] [-v] status\n");
  }
  EXPECT_EQ(status({"-c"}).err,
            "posthorn/posthorn: fatal: status: unexpected argument \"-c\"\n"
            "usage: posthorn [-c DIR] [-v] status\n");
  const Outcome r = status({"-c/nonexistent"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err.rfind("posthorn/posthorn: fatal: /nonexistent/posthorn.conf", 0), 0u) << r.err;
}

TEST(CommandUsage, Tls) {
  const Outcome r = capture([](std::ostream& o, std::ostream& e) { return runTls({"selfsigned", "-d", "0"}, o, e); });
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err,
            "posthorn tls: -d takes a number of days from 1 to 36500, not \"0\"\n"
            "usage: posthorn tls selfsigned [-c DIR] [-d DAYS] [-t rsa|ecdsa] [-f] [HOSTNAME]\n");
}

}  // namespace
}  // namespace posthorn::tools
