// crc32c - CRC-32C (Castagnoli), the checksum of queue file records
//
// The polynomial of iSCSI, ext4 and SCTP (reflected 0x82F63B78, initial and
// final xor 0xFFFFFFFF): crc32c("123456789") == 0xE3069283. Uses the SSE4.2
// instruction when the CPU has it, a table otherwise; both give the same
// result. Nothing here is specific to mail.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace posthorn::util {

// Extends `crc` (the result of an earlier call, or 0 to start) over `data`:
// crc32c(b, crc32c(a)) == crc32c(a + b).
std::uint32_t crc32c(const void* data, std::size_t size, std::uint32_t crc = 0);
inline std::uint32_t crc32c(std::string_view data, std::uint32_t crc = 0) {
  return crc32c(data.data(), data.size(), crc);
}

// The table-driven version, always; exposed so tests can compare the two.
std::uint32_t crc32cPortable(const void* data, std::size_t size, std::uint32_t crc = 0);

}  // namespace posthorn::util
