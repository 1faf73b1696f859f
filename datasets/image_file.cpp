#include "datasets/image_file.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include <png.h>

#include "datasets/idx.h"

namespace gradlab {

namespace {

// 64 Mpixel (8192 × 8192): far beyond any input a gradlab model takes, small enough to allocate.
constexpr std::size_t kMaxImagePixels = std::size_t{1} << 26;

GrayImage read_pgm(const std::string& path, const std::string& bytes) {
  // Header: magic, width, height, maxval, separated by whitespace and '#' comments; then one
  // whitespace byte and the pixels (P5) or decimal numbers (P2).
  std::size_t at = 2;
  auto next_number = [&]() -> long {
    while (at < bytes.size()) {
      if (bytes[at] == '#') {
        while (at < bytes.size() && bytes[at] != '\n') ++at;
      } else if (std::isspace(static_cast<unsigned char>(bytes[at]))) {
        ++at;
      } else {
        break;
      }
    }
    const std::size_t begin = at;
    while (at < bytes.size() && std::isdigit(static_cast<unsigned char>(bytes[at]))) ++at;
    if (begin == at) throw DataError(path + ": malformed PGM header");
    // Nine digits fit a long and exceed every size or value a PGM may hold.
    if (at - begin > 9)
      throw DataError(path + ": PGM number " + bytes.substr(begin, 12) + "... is too large");
    return std::stol(bytes.substr(begin, at - begin));
  };
  const bool binary = bytes[1] == '5';
  const long width = next_number(), height = next_number(), maxval = next_number();
  if (width <= 0 || height <= 0 || std::size_t(width) * std::size_t(height) > kMaxImagePixels)
    throw DataError(path + ": implausible PGM size " + std::to_string(width) + "x" +
                    std::to_string(height));
  if (maxval <= 0 || maxval > 255)
    throw DataError(path + ": PGM maxval " + std::to_string(maxval) +
                    " (only 8-bit, maxval <= 255, is supported)");
  GrayImage image{static_cast<std::size_t>(height), static_cast<std::size_t>(width), {}};
  const std::size_t count = image.height * image.width;
  // Each pixel takes at least one byte of the file (P5) or two (P2: a digit and a space): the
  // header's size is checked against the file's before allocating it.
  if (binary) ++at;  // the single whitespace byte after maxval
  const std::size_t remaining = bytes.size() - std::min(at, bytes.size());
  if (remaining < (binary ? count : 2 * count - 1))
    throw DataError(path + ": truncated: the PGM header promises " + std::to_string(count) +
                    " pixels");
  image.pixels.resize(count);
  if (binary) {
    for (std::size_t i = 0; i < count; ++i)
      image.pixels[i] =
          static_cast<std::uint8_t>(static_cast<unsigned char>(bytes[at + i]) * 255 / maxval);
  } else {
    for (std::size_t i = 0; i < count; ++i) {
      const long value = next_number();
      if (value > maxval)
        throw DataError(path + ": pixel " + std::to_string(i) + " exceeds maxval");
      image.pixels[i] = static_cast<std::uint8_t>(value * 255 / maxval);
    }
  }
  return image;
}

GrayImage read_png(const std::string& path) {
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&png, path.c_str()))
    throw DataError(path + ": not a readable PNG: " + png.message);
  png.format = PNG_FORMAT_GRAY;  // libpng converts colour and alpha (composited on black) to gray
  // The header's size is allocated before the pixels are decoded: refuse what no model takes.
  if (std::size_t{png.width} * png.height > kMaxImagePixels) {
    png_image_free(&png);
    throw DataError(path + ": PNG of " + std::to_string(png.width) + "x" +
                    std::to_string(png.height) + " pixels is larger than the " +
                    std::to_string(kMaxImagePixels) + " pixels gradlab reads");
  }
  GrayImage image{png.height, png.width, std::vector<std::uint8_t>(PNG_IMAGE_SIZE(png))};
  if (!png_image_finish_read(&png, nullptr, image.pixels.data(), 0, nullptr)) {
    const std::string message = png.message;
    png_image_free(&png);
    throw DataError(path + ": PNG decode failed: " + message);
  }
  return image;
}

}  // namespace

GrayImage read_gray_image(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(path + ": cannot open");
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.size() >= 2 && bytes[0] == 'P' && (bytes[1] == '5' || bytes[1] == '2'))
    return read_pgm(path, bytes);
  if (bytes.size() >= 8 && bytes.compare(1, 3, "PNG") == 0) return read_png(path);
  throw DataError(path + ": not a PGM (P2/P5) or PNG image");
}

std::string encode_png(const GrayImage& image) {
  if (image.height == 0 || image.width == 0 || image.pixels.size() != image.height * image.width)
    throw std::invalid_argument("encode_png: " + std::to_string(image.pixels.size()) +
                                " pixels for a " + std::to_string(image.height) + "x" +
                                std::to_string(image.width) + " image");
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  png.width = static_cast<png_uint_32>(image.width);
  png.height = static_cast<png_uint_32>(image.height);
  png.format = PNG_FORMAT_GRAY;
  // First call: the size the encoded image needs; second: the encoding.
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&png, nullptr, &size, 0, image.pixels.data(), 0, nullptr))
    throw std::runtime_error(std::string("encode_png: ") + png.message);
  std::string bytes(size, '\0');
  if (!png_image_write_to_memory(&png, bytes.data(), &size, 0, image.pixels.data(), 0, nullptr))
    throw std::runtime_error(std::string("encode_png: ") + png.message);
  bytes.resize(size);
  return bytes;
}

GrayImage tile_images(const std::vector<GrayImage>& images, std::size_t columns, std::size_t border,
                      std::uint8_t gap) {
  if (images.empty() || columns == 0) throw std::invalid_argument("tile_images: no images to tile");
  const std::size_t height = images[0].height, width = images[0].width;
  for (const GrayImage& image : images)
    if (image.height != height || image.width != width)
      throw std::invalid_argument("tile_images: images of different sizes, " +
                                  std::to_string(height) + "x" + std::to_string(width) + " and " +
                                  std::to_string(image.height) + "x" + std::to_string(image.width));
  columns = std::min(columns, images.size());
  const std::size_t rows = (images.size() + columns - 1) / columns;
  GrayImage grid{border + rows * (height + border), border + columns * (width + border), {}};
  grid.pixels.assign(grid.height * grid.width, gap);
  for (std::size_t i = 0; i < images.size(); ++i) {
    const std::size_t top = border + (i / columns) * (height + border),
                      left = border + (i % columns) * (width + border);
    for (std::size_t y = 0; y < height; ++y)
      std::copy_n(&images[i].pixels[y * width], width, &grid.pixels[(top + y) * grid.width + left]);
  }
  return grid;
}

}  // namespace gradlab
