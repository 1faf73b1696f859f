// Image files: read for image folders and `gradlab predict` (PNG through libpng, JPEG through
// libjpeg-turbo, PGM P2/P5), converted to the channels a model takes, and written as PNG for
// figures.
//
// Every file is decoded to 8-bit RGBA first, without gamma conversion (as PIL, and so
// torchvision, read them):
//   PNG   palette → RGB, grey of 1/2/4 bits → 8, tRNS → alpha, 16-bit samples → 8 bits as
//         round(v · 255 / 65535) (the samples are sRGB-encoded like 8-bit ones, not linear light)
//   JPEG  YCbCr or grey → RGB by libjpeg-turbo (CMYK is refused)
//   PGM   maxval ≤ 65535, scaled to 8 bits as round(v · 255 / maxval)
// then alpha is composited on black (c · a / 255, rounded) and converted:
//   3 channels: R, G, B planes (grey images repeat their one value)
//   1 channel:  L = (19595 R + 38470 G + 7471 B + 2¹⁵) >> 16 — ITU-R 601-2 luma, PIL's
//               convert("L"); a grey pixel keeps its exact value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gradlab {

// An 8-bit image of one or three planes: C × H × W, row-major, as a data set holds it.
struct Image {
  std::size_t channels = 1, height = 0, width = 0;
  std::vector<std::uint8_t> pixels;
};

// A grey image as the figures (PCA, tiles) draw it.
struct GrayImage {
  std::size_t height = 0, width = 0;
  std::vector<std::uint8_t> pixels;  // row-major
};

// What a file holds, as `gradlab data inspect` reports it: "PNG", "JPEG", "PGM"; a mode such as
// "grey", "grey+alpha", "RGB", "RGBA", "palette", "CMYK"; bits per sample; its size.
struct ImageInfo {
  std::string format, mode;
  int bit_depth = 8;
  std::size_t height = 0, width = 0;
};

// The largest image read: 64 Mpixel (8192 × 8192), far beyond what a gradlab model takes, small
// enough to allocate. Headers are checked against it before any pixel is.
constexpr std::size_t kMaxImagePixels = std::size_t{1} << 26;

// Decodes a file's bytes to `channels` (1 or 3) planes. `name` is the file's path for errors.
// Throws DataError naming the file and the fault (unknown format, corrupt, truncated, too large).
Image decode_image(const std::string& bytes, const std::string& name, std::size_t channels);
// decode_image of a file's bytes.
Image read_image(const std::string& path, std::size_t channels);
// Reads only as much as the header needs.
ImageInfo probe_image(const std::string& bytes, const std::string& name);

// The image at height × width: the largest centred window of the target's aspect ratio is cut
// out (the rest cropped, as torchvision's Resize + CenterCrop) and resampled with a triangle
// filter widened by the scale when shrinking — PIL's antialiased bilinear: each output pixel a
// weighted average of the input pixels under it. An image already of that size is returned as is.
Image resize_image(const Image& image, std::size_t height, std::size_t width);

// The image as an 8-bit grayscale PNG file's bytes (libpng); the caller writes them, atomically.
std::string encode_png(const GrayImage& image);
// An 8-bit PNG of a 1-channel (grey) or 3-channel (RGB) image.
std::string encode_png(const Image& image);

// A baseline JPEG (libjpeg-turbo, 4:2:0 for colour) of a 1- or 3-channel image; quality 1–100.
std::string encode_jpeg(const Image& image, int quality = 90);

// Images of equal size side by side, `columns` per row, separated by `border` pixels of `gap`
// gray: the grids of eigendigits and reconstructions. Throws std::invalid_argument if the
// sizes differ or there are no images.
GrayImage tile_images(const std::vector<GrayImage>& images, std::size_t columns,
                      std::size_t border = 2, std::uint8_t gap = 64);

}  // namespace gradlab
