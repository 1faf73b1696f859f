#include "datasets/augmentation.h"

#include <algorithm>
#include <cmath>

namespace gradlab {

void Augmentation::apply(const std::uint8_t* pixels, std::size_t C, std::size_t H, std::size_t W,
                         Rng& rng, std::uint8_t* out) const {
  const auto P = static_cast<std::ptrdiff_t>(translate);
  // Draw order (shift y, shift x, flip) is part of reproducibility: keep it.
  const std::ptrdiff_t dy = P ? static_cast<std::ptrdiff_t>(rng.below(2 * translate + 1)) - P : 0;
  const std::ptrdiff_t dx = P ? static_cast<std::ptrdiff_t>(rng.below(2 * translate + 1)) - P : 0;
  const bool flip = horizontal_flip && rng.below(2) == 1;
  if (warps()) {
    // Drawn after the shift and the flip, so runs without rotation or scaling draw as before.
    const double degrees = rotate > 0 ? rng.uniform(-rotate, rotate) : 0.0;
    const double scale = scale_max > scale_min ? rng.uniform(scale_min, scale_max) : scale_min;
    transform(pixels, C, H, W, degrees, scale, dy, dx, flip, out);
    erase_rectangle(C, H, W, rng, out);
    return;
  }
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
  erase_rectangle(C, H, W, rng, out);
}

void Augmentation::erase_rectangle(std::size_t C, std::size_t H, std::size_t W, Rng& rng,
                                   std::uint8_t* out) const {
  // Drawn last, and only when on, so runs without erasing draw as before.
  if (erase <= 0 || rng.uniform(0, 1) >= erase) return;
  const double area = static_cast<double>(H * W);
  const double log_low = std::log(0.3), log_high = std::log(3.3);
  for (int attempt = 0; attempt < 10; ++attempt) {
    const double target = area * rng.uniform(0.02, 0.33);
    const double ratio = std::exp(rng.uniform(log_low, log_high));
    const auto h = static_cast<std::size_t>(std::lround(std::sqrt(target * ratio)));
    const auto w = static_cast<std::size_t>(std::lround(std::sqrt(target / ratio)));
    if (h == 0 || w == 0 || h >= H || w >= W) continue;
    const std::size_t top = rng.below(H - h + 1), left = rng.below(W - w + 1);
    for (std::size_t c = 0; c < C; ++c)
      for (std::size_t y = top; y < top + h; ++y)
        std::fill_n(out + (c * H + y) * W + left, w, std::uint8_t{0});
    return;
  }
}

void Augmentation::transform(const std::uint8_t* pixels, std::size_t C, std::size_t H,
                             std::size_t W, double degrees, double scale, std::ptrdiff_t dy,
                             std::ptrdiff_t dx, bool flip, std::uint8_t* out) {
  const double pi = std::acos(-1.0), angle = degrees * pi / 180.0;
  // R(−θ)/s, applied to p − c.
  const double cos_s = std::cos(angle) / scale, sin_s = std::sin(angle) / scale;
  const double cy = (static_cast<double>(H) - 1) / 2, cx = (static_cast<double>(W) - 1) / 2;
  const auto height = static_cast<std::ptrdiff_t>(H), width = static_cast<std::ptrdiff_t>(W);
  for (std::size_t c = 0; c < C; ++c) {
    const std::uint8_t* in_plane = pixels + c * H * W;
    const auto pixel = [&](std::ptrdiff_t y, std::ptrdiff_t x) -> double {
      return y < 0 || y >= height || x < 0 || x >= width ? 0.0 : in_plane[y * width + x];
    };
    for (std::ptrdiff_t h = 0; h < height; ++h)
      for (std::ptrdiff_t w = 0; w < width; ++w) {
        // The point of A this output pixel shows (shift and mirror as in apply()), 0 outside A.
        const std::ptrdiff_t y = h + dy, x = (flip ? width - 1 - w : w) + dx;
        double value = 0;
        if (y >= 0 && y < height && x >= 0 && x < width) {
          const double u = static_cast<double>(x) - cx, v = static_cast<double>(y) - cy;
          const double source_x = cx + cos_s * u + sin_s * v;
          const double source_y = cy - sin_s * u + cos_s * v;
          const double x0 = std::floor(source_x), y0 = std::floor(source_y);
          const double fx = source_x - x0, fy = source_y - y0;
          const auto ix = static_cast<std::ptrdiff_t>(x0), iy = static_cast<std::ptrdiff_t>(y0);
          value = (1 - fy) * ((1 - fx) * pixel(iy, ix) + fx * pixel(iy, ix + 1)) +
                  fy * ((1 - fx) * pixel(iy + 1, ix) + fx * pixel(iy + 1, ix + 1));
        }
        out[(c * H + static_cast<std::size_t>(h)) * W + static_cast<std::size_t>(w)] =
            static_cast<std::uint8_t>(std::min(255.0, std::round(value)));
      }
  }
}

}  // namespace gradlab
