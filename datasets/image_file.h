// Single grayscale images for `gradlab predict`: PGM (binary P5 or text P2, maxval ≤ 255) and
// PNG (any colour type, converted to 8-bit gray by libpng).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gradlab {

struct GrayImage {
  std::size_t height = 0, width = 0;
  std::vector<std::uint8_t> pixels;  // row-major
};

// Throws DataError naming the file and the fault.
GrayImage read_gray_image(const std::string& path);

}  // namespace gradlab
