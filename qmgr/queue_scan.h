// queue_scan - lists the queue files of a queue subdirectory
//
// Only names that are queue IDs count; writers' temporary files and
// anything else are skipped. With `dueBefore`, only files whose mtime
// (qmgr sets it to when the message is next due) is not after it.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace posthorn::qmgr {

std::vector<std::string> listQueueFiles(
    const std::string& directory,
    std::optional<std::chrono::system_clock::time_point> dueBefore = std::nullopt);

}  // namespace posthorn::qmgr
