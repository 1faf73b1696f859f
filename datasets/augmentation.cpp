#include "datasets/augmentation.h"

#include <algorithm>

namespace gradlab {

void Augmentation::apply(const std::uint8_t* pixels, std::size_t C, std::size_t H, std::size_t W,
                         Rng& rng, std::uint8_t* out) const {
  const auto P = static_cast<std::ptrdiff_t>(translate);
  // Draw order (shift y, shift x, flip) is part of reproducibility: keep it.
  const std::ptrdiff_t dy = P ? static_cast<std::ptrdiff_t>(rng.below(2 * translate + 1)) - P : 0;
  const std::ptrdiff_t dx = P ? static_cast<std::ptrdiff_t>(rng.below(2 * translate + 1)) - P : 0;
  const bool flip = horizontal_flip && rng.below(2) == 1;
  const auto height = static_cast<std::ptrdiff_t>(H), width = static_cast<std::ptrdiff_t>(W);
  for (std::size_t c = 0; c < C; ++c) {
    const std::uint8_t* in_plane = pixels + c * H * W;
    std::uint8_t* out_plane = out + c * H * W;
    for (std::ptrdiff_t h = 0; h < height; ++h) {
      // out[h][w] = in[h + dy][w' + dx], w' = w or its mirror; 0 where that is outside the image.
      const std::ptrdiff_t source_row = h + dy;
      std::uint8_t* row = out_plane + h * width;
      if (source_row < 0 || source_row >= height) {
        std::fill(row, row + width, std::uint8_t{0});
        continue;
      }
      for (std::ptrdiff_t w = 0; w < width; ++w) {
        const std::ptrdiff_t source_column = (flip ? width - 1 - w : w) + dx;
        row[w] = source_column < 0 || source_column >= width
                     ? std::uint8_t{0}
                     : in_plane[source_row * width + source_column];
      }
    }
  }
}

}  // namespace gradlab
