// Reader for IDX files, the format of MNIST and Fashion-MNIST (LeCun et al.):
//   bytes 0–1: zero; byte 2: element type (0x08 = unsigned byte); byte 3: number of dimensions d;
//   then d big-endian uint32 sizes; then the elements, row-major.
// Plain and gzip-compressed files are both read (zlib detects gzip by its magic bytes).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "framework/files.h"  // DataError

namespace gradlab {

struct IdxArray {
  std::vector<std::uint32_t> dims;
  std::vector<std::uint8_t> data;  // row-major, product(dims) bytes
};

// Reads an unsigned-byte IDX file with the expected number of dimensions.
IdxArray read_idx(const std::string& path, std::size_t expected_dimensions);

// Writes an unsigned-byte IDX file (uncompressed); used by tests and by tools that make subsets.
void write_idx(const std::string& path, const std::vector<std::uint32_t>& dims,
               const std::vector<std::uint8_t>& data);

}  // namespace gradlab
