// Single grayscale images: read for `gradlab predict` (PGM, binary P5 or text P2 with maxval ≤ 255,
// and PNG of any colour type, converted to 8-bit gray by libpng) and written as PNG for figures.
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

// The image as an 8-bit grayscale PNG file's bytes (libpng); the caller writes them, atomically.
std::string encode_png(const GrayImage& image);

// Images of equal size side by side, `columns` per row, separated by `border` pixels of `gap`
// gray: the grids of eigendigits and reconstructions. Throws std::invalid_argument if the
// sizes differ or there are no images.
GrayImage tile_images(const std::vector<GrayImage>& images, std::size_t columns,
                      std::size_t border = 2, std::uint8_t gap = 64);

}  // namespace gradlab
