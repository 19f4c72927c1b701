// gzip - whole buffers in and out of gzip (RFC 1952) through zlib, for
// DMARC reports
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace posthorn::tools {

std::string gzipCompress(std::string_view data);
// nullopt when data is not gzip or would inflate beyond maxSize bytes.
std::optional<std::string> gzipDecompress(std::string_view data, std::size_t maxSize);
bool looksGzipped(std::string_view data);

}  // namespace posthorn::tools
