// A small, learnable image folder made by the tests (as torchvision's ImageFolder lays one out):
// class c's images are a bright block at a position of its own, in channel c % 3 when in colour,
// over uniform noise; written as PNG (or JPEG) files into <folder>/<split>/<class>/.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "datasets/image_file.h"
#include "framework/random.h"

namespace gradlab::testing {

inline Image synthetic_image(std::size_t label, std::size_t channels, std::size_t height,
                             std::size_t width, Rng& rng) {
  Image image{channels, height, width, std::vector<std::uint8_t>(channels * height * width)};
  const std::size_t block = std::max<std::size_t>(2, height / 5),
                    top = (label / 2) * (height - block) / 2, left = (label % 2) * (width - block);
  for (std::size_t c = 0; c < channels; ++c)
    for (std::size_t y = 0; y < height; ++y)
      for (std::size_t x = 0; x < width; ++x) {
        const bool lit = (channels == 1 || c == label % 3) && y >= top && y < top + block &&
                         x >= left && x < left + block;
        image.pixels[(c * height + y) * width + x] =
            static_cast<std::uint8_t>(lit ? 200 + rng.below(56) : rng.below(60));
      }
  return image;
}

inline void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

// `count` images of each of `classes` classes ("class0", "class1", ...) in folder/<class>/.
inline void write_image_split(const std::filesystem::path& folder, std::size_t classes,
                              std::size_t count, std::size_t channels, std::size_t size, Rng& rng,
                              bool jpeg = false) {
  for (std::size_t c = 0; c < classes; ++c)
    for (std::size_t i = 0; i < count; ++i) {
      const Image image = synthetic_image(c, channels, size, size, rng);
      const std::string name = "img" + std::to_string(i) + (jpeg ? ".jpg" : ".png");
      write_bytes(folder / ("class" + std::to_string(c)) / name,
                  jpeg ? encode_jpeg(image, 95) : encode_png(image));
    }
}

}  // namespace gradlab::testing
