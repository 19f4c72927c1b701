// map_test_util - the map tests' scratch directory, on test_util's.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/map/lookup_table.h"
#include "test/unit/test_util.h"

namespace posthorn::map::testing {

using posthorn::testing::readFile;
using posthorn::testing::writeFile;

// A fresh directory under $TMPDIR (or /tmp), removed with its contents.
class ScratchDir : public posthorn::testing::TempDir {
 public:
  ScratchDir() : TempDir("posthorn-map-test") {}
  std::string file(const std::string& name) const { return *this / name; }
  // Names in the directory, sorted.
  std::vector<std::string> list() const { return posthorn::testing::listDir(path()); }
};

// The message of the MapError that action throws; "" when it throws none.
inline std::string errorOf(const std::function<void()>& action) {
  try {
    action();
  } catch (const MapError& e) {
    return e.what();
  }
  return "";
}

// The value of key in table, or "<miss>".
inline std::string valueOf(LookupTable& table, std::string_view key) {
  return table.lookup(key).value_or("<miss>");
}

}  // namespace posthorn::map::testing
