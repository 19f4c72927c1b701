// map_test_util - the map tests' scratch directory, on test_util's.
#pragma once

#include <string>
#include <vector>

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

}  // namespace posthorn::map::testing
