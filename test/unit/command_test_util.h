// command_test_util - runs a command's entry point (tools/) with string streams
#pragma once

#include <ostream>
#include <sstream>
#include <string>

namespace posthorn::tools::testing {

// What a command printed and returned.
struct Outcome {
  int status;
  std::string out;
  std::string err;
};

// capture([&](std::ostream& o, std::ostream& e) { return runMap(args, o, e); })
template <class F>
Outcome capture(F run) {
  std::ostringstream out, err;
  const int status = run(out, err);
  return {status, out.str(), err.str()};
}

}  // namespace posthorn::tools::testing
