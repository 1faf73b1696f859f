// The image reader of image folders and `gradlab predict`: every PNG colour type and bit depth,
// JPEG, PGM, their conversion to grey or RGB, resizing, and the faults of broken files; PNG
// writing (for the PCA figures) read back, and the layout of image grids.
#include "datasets/image_file.h"

#include <cstdlib>
#include <fstream>

#include <zlib.h>

#include "datasets/idx.h"
#include "tests/support.h"

namespace gradlab::testing {
namespace {

GrayImage gradient_image(std::size_t height, std::size_t width, std::uint8_t offset) {
  GrayImage image{height, width, std::vector<std::uint8_t>(height * width)};
  for (std::size_t i = 0; i < image.pixels.size(); ++i)
    image.pixels[i] = static_cast<std::uint8_t>(offset + 7 * i);
  return image;
}

// A PNG written chunk by chunk, so that any colour type and bit depth can be made: `rows` holds
// each row's packed samples (the filter byte, 0, is added here); `chunks` go before IDAT.
std::string png_file(std::uint32_t width, std::uint32_t height, int bit_depth, int color_type,
                     const std::vector<std::uint8_t>& rows,
                     const std::vector<std::pair<std::string, std::string>>& chunks = {}) {
  const auto u32 = [](std::uint32_t v) {
    return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                       static_cast<char>(v >> 8), static_cast<char>(v)};
  };
  const auto chunk = [&](const std::string& type, const std::string& data) {
    const std::string body = type + data;
    return u32(static_cast<std::uint32_t>(data.size())) + body +
           u32(static_cast<std::uint32_t>(
               crc32(0, reinterpret_cast<const Bytef*>(body.data()), body.size())));
  };
  const std::size_t row_bytes = rows.size() / height;
  std::string raw;
  for (std::size_t y = 0; y < height; ++y) {
    raw += '\0';
    raw.append(reinterpret_cast<const char*>(&rows[y * row_bytes]), row_bytes);
  }
  uLongf size = compressBound(raw.size());
  std::string deflated(size, '\0');
  compress(reinterpret_cast<Bytef*>(deflated.data()), &size,
           reinterpret_cast<const Bytef*>(raw.data()), raw.size());
  deflated.resize(size);
  std::string png =
      "\x89PNG\r\n\x1a\n" + chunk("IHDR", u32(width) + u32(height) + static_cast<char>(bit_depth) +
                                              static_cast<char>(color_type) + std::string(3, '\0'));
  for (const auto& [type, data] : chunks) png += chunk(type, data);
  return png + chunk("IDAT", deflated) + chunk("IEND", "");
}

Image decode(const std::string& bytes, std::size_t channels) {
  return decode_image(bytes, "test.image", channels);
}

using Pixels = std::vector<std::uint8_t>;

TEST_CASE("16-bit PNG samples are read as the sRGB-encoded values they are, not as linear light",
          "[data][png]") {
  // 0x8080 / 65535 is 128 / 255: the same grey as 8-bit 128. libpng's simplified API took
  // 16-bit samples for linear light and gave 188.
  const Pixels samples{0x00, 0x00, 0x80, 0x80, 0xff, 0xff, 0x12, 0x34};
  const Image read = decode(png_file(4, 1, 16, 0, samples), 1);
  CHECK(read.pixels == Pixels{0, 128, 255, 18});  // round(v · 255 / 65535); 0x1234 → 18.13
  // The same image as an 8-bit PGM and a 16-bit PGM gives the same bytes.
  CHECK(decode(std::string("P5 4 1 255\n") + std::string{0, char(128), char(255), 18}, 1).pixels ==
        read.pixels);
  CHECK(decode(std::string("P5 4 1 65535\n") +
                   std::string(reinterpret_cast<const char*>(samples.data()), samples.size()),
               1)
            .pixels == read.pixels);
}

TEST_CASE("Colour, alpha and palettes: composited on black, grey as ITU-R 601-2 luma",
          "[data][png]") {
  // RGB: pure red, green, blue and a grey. L = (19595 R + 38470 G + 7471 B + 2^15) >> 16.
  const Pixels rgb{255, 0, 0, /**/ 0, 255, 0, /**/ 0, 0, 255, /**/ 77, 77, 77};
  const Image colour = decode(png_file(4, 1, 8, 2, rgb), 3);
  CHECK(colour.channels == 3);
  CHECK(colour.pixels == Pixels{255, 0, 0, 77, /**/ 0, 255, 0, 77, /**/ 0, 0, 255, 77});
  CHECK(decode(png_file(4, 1, 8, 2, rgb), 1).pixels == Pixels{76, 150, 29, 77});
  // Grey + alpha: 200 at alpha 128 over black is 200 · 128 / 255 = 100.4.
  CHECK(decode(png_file(2, 1, 8, 4, {200, 128, 200, 255}), 1).pixels == Pixels{100, 200});
  // A grey image asked for in colour repeats its value in R, G and B.
  CHECK(decode(png_file(2, 1, 8, 0, {9, 250}), 3).pixels == Pixels{9, 250, 9, 250, 9, 250});
  // 1-bit grey: 0 → 0, 1 → 255 (four pixels in the top bits of one byte: 1010).
  CHECK(decode(png_file(4, 1, 1, 0, {0xa0}), 1).pixels == Pixels{255, 0, 255, 0});
  // A palette of three colours, the second made transparent by tRNS: 4-bit indices 0, 1, 2, 0.
  const std::string palette{char(10), char(20), char(30), char(200), char(100),
                            char(50), char(0),  char(0),  char(255)};
  const Image indexed = decode(
      png_file(4, 1, 4, 3, {0x01, 0x20}, {{"PLTE", palette}, {"tRNS", std::string{char(255), 0}}}),
      3);
  CHECK(indexed.pixels == Pixels{10, 0, 0, 10, /**/ 20, 0, 0, 20, /**/ 30, 0, 255, 30});
  // RGBA: half-transparent white over black.
  CHECK(decode(png_file(1, 1, 8, 6, {255, 255, 255, 128}), 3).pixels == Pixels{128, 128, 128});
}

TEST_CASE("JPEG: colour and grey files decode to what was encoded, within JPEG's loss",
          "[data][jpeg]") {
  Image smooth{3, 16, 24, Pixels(3 * 16 * 24)};
  for (std::size_t c = 0; c < 3; ++c)
    for (std::size_t y = 0; y < 16; ++y)
      for (std::size_t x = 0; x < 24; ++x)
        smooth.pixels[(c * 16 + y) * 24 + x] =
            static_cast<std::uint8_t>(40 + 50 * c + 3 * x + 2 * y);
  const std::string jpeg = encode_jpeg(smooth, 95);
  CHECK(probe_image(jpeg, "x.jpg").mode == "RGB");
  const Image read = decode(jpeg, 3);
  REQUIRE(read.channels == 3);
  REQUIRE(read.height == 16);
  REQUIRE(read.width == 24);
  int worst = 0;
  for (std::size_t i = 0; i < read.pixels.size(); ++i)
    worst = std::max(worst, std::abs(int(read.pixels[i]) - int(smooth.pixels[i])));
  CHECK(worst <= 6);
  // A grey JPEG read in colour repeats its plane.
  Image grey{1, 8, 8, Pixels(64)};
  for (std::size_t i = 0; i < 64; ++i) grey.pixels[i] = static_cast<std::uint8_t>(3 * i);
  const std::string grey_jpeg = encode_jpeg(grey, 90);
  CHECK(probe_image(grey_jpeg, "g.jpg").mode == "grey");
  const Image as_colour = decode(grey_jpeg, 3);
  CHECK(Pixels(as_colour.pixels.begin(), as_colour.pixels.begin() + 64) ==
        Pixels(as_colour.pixels.begin() + 128, as_colour.pixels.end()));
}

TEST_CASE("Broken image files are refused naming the file", "[data][errors]") {
  Image image{3, 64, 64, Pixels(3 * 64 * 64)};
  Rng noise(5);
  for (std::uint8_t& p : image.pixels) p = static_cast<std::uint8_t>(noise.below(256));
  const std::string jpeg = encode_jpeg(image, 90);  // noise: most of the file is the scan
  // Truncated: libjpeg only warns and fills the rest with grey; gradlab refuses it.
  CHECK_THROWS_WITH(decode(jpeg.substr(0, jpeg.size() / 2), 3),
                    Catch::StartsWith("test.image: JPEG decode failed: "));
  CHECK_THROWS_WITH(decode(jpeg.substr(0, 40), 3),
                    Catch::StartsWith("test.image: not a readable JPEG"));
  const std::string png = png_file(2, 2, 8, 0, {1, 2, 3, 4});
  CHECK_THROWS_WITH(decode(png.substr(0, png.size() - 20), 1),
                    Catch::StartsWith("test.image: PNG decode failed: "));
  CHECK_THROWS_WITH(decode(png.substr(0, 20), 1),
                    Catch::StartsWith("test.image: not a readable PNG"));
  CHECK_THROWS_WITH(decode("GIF89a...", 1), "test.image: not a PNG, JPEG or PGM (P2/P5) image");
  CHECK_THROWS_WITH(read_image("/nonexistent/x.png", 1), "/nonexistent/x.png: cannot open");
}

TEST_CASE("resize_image: PIL's antialiased bilinear over the centred window of the aspect ratio",
          "[data][resize]") {
  // Shrinking 2 × 4 → 1 × 2 (scale 2, triangle of half-width 2): output column 0 is centred at
  // input 1.0, with weights 0.75, 0.75, 0.25 on inputs 0, 1, 2: (0.25 · 255) / 1.75 = 36.4; the
  // two equal rows average to themselves.
  CHECK(resize_image(Image{1, 2, 4, {0, 0, 255, 255, 0, 0, 255, 255}}, 1, 2).pixels ==
        Pixels{36, 219});
  // Growing 2 × 2 → 4 × 4 (half-width 1): columns 0, 0.25·255, 0.75·255, 255 in every row.
  const Image grown = resize_image(Image{1, 2, 2, {0, 255, 0, 255}}, 4, 4);
  CHECK(Pixels(grown.pixels.begin(), grown.pixels.begin() + 4) == Pixels{0, 64, 191, 255});
  CHECK(Pixels(grown.pixels.end() - 4, grown.pixels.end()) == Pixels{0, 64, 191, 255});
  // A 2 × 4 image to 2 × 2 keeps the middle two columns (scale 1: each pixel as it is).
  CHECK(resize_image(Image{1, 2, 4, {1, 2, 3, 4, 5, 6, 7, 8}}, 2, 2).pixels == Pixels{2, 3, 6, 7});
  // A 4 × 2 (tall) image to 2 × 2 keeps the middle rows; every channel alike.
  CHECK(resize_image(Image{2, 4, 2, {1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 14, 15, 16, 17, 18}}, 2, 2)
            .pixels == Pixels{3, 4, 5, 6, 13, 14, 15, 16});
  // A constant image stays constant at any size.
  const Image flat = resize_image(Image{1, 7, 5, Pixels(35, 123)}, 3, 11);
  CHECK(flat.pixels == Pixels(33, 123));
}

TEST_CASE("encode_png: a PNG that read_image reads back pixel for pixel", "[data][png]") {
  const GrayImage image =
      gradient_image(5, 9, 3);  // not square: rows and columns cannot swap unseen
  const std::string bytes = encode_png(image);
  CHECK(bytes.compare(1, 3, "PNG") == 0);
  const std::string path = (temp_folder("png") / "gradient.png").string();
  std::ofstream(path, std::ios::binary) << bytes;
  const Image read = read_image(path, 1);
  CHECK(read.height == 5);
  CHECK(read.width == 9);
  CHECK(read.pixels == image.pixels);
  CHECK_THROWS_WITH(encode_png(GrayImage{2, 2, {1, 2, 3}}),
                    Catch::Contains("3 pixels for a 2x2 image"));
}

TEST_CASE("Image headers are checked against the file before their pixels are allocated",
          "[data][png][errors]") {
  const std::string path = (temp_folder("image_headers") / "image").string();
  const auto read_bytes = [&](const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
    return read_image(path, 1);
  };
  // A number too long for a long (std::stol threw out_of_range, found by fuzzing).
  CHECK_THROWS_WITH(read_bytes("P5\n77777777777777777777777 2\n255\n"),
                    path + ": PGM number 777777777777... is too large");
  // A 60000 × 60000 PGM of 10 bytes: refused, not allocated.
  CHECK_THROWS_WITH(read_bytes("P5\n60000 60000\n255\n0123456789"),
                    path + ": implausible PGM size 60000x60000");
  CHECK_THROWS_WITH(read_bytes("P5\n4000 4000\n255\n0123456789"),
                    path + ": truncated: the PGM header promises 16000000 pixels");
  CHECK_THROWS_WITH(read_bytes("P2\n3 2\n255\n1 2 3 4"),
                    path + ": truncated: the PGM header promises 6 pixels");
  // A PNG whose header says 100000 × 100000: its IHDR rewritten, with the chunk's CRC.
  std::string png = encode_png(gradient_image(2, 2, 0));
  const auto put_u32 = [&](std::size_t at, std::uint32_t value) {
    for (int i = 0; i < 4; ++i) png[at + i] = static_cast<char>(value >> (24 - 8 * i));
  };
  put_u32(16, 100000);  // width: after the 8-byte signature, IHDR's length and type
  put_u32(20, 100000);  // height
  put_u32(29, static_cast<std::uint32_t>(
                  crc32(0, reinterpret_cast<const Bytef*>(png.data() + 12), 17)));  // type + data
  CHECK_THROWS_WITH(read_bytes(png), path +
                                         ": PNG of 100000x100000 pixels is larger than the "
                                         "67108864 pixels gradlab reads");
}

TEST_CASE("tile_images: images in rows of `columns`, separated by the border colour",
          "[data][png]") {
  const std::vector<GrayImage> images{gradient_image(2, 3, 0), gradient_image(2, 3, 100),
                                      gradient_image(2, 3, 200)};
  const GrayImage grid = tile_images(images, 2, 1, 9);
  // 2 rows of tiles (3 images, 2 per row): height 1 + 2·(2 + 1) = 7, width 1 + 2·(3 + 1) = 9.
  REQUIRE(grid.height == 7);
  REQUIRE(grid.width == 9);
  const auto at = [&](std::size_t y, std::size_t x) { return grid.pixels[y * grid.width + x]; };
  CHECK(at(0, 0) == 9);                            // border
  CHECK(at(1, 1) == images[0].pixels[0]);          // first tile's top-left
  CHECK(at(2, 3) == images[0].pixels[1 * 3 + 2]);  // its bottom-right
  CHECK(at(1, 5) == images[1].pixels[0]);          // second tile, same row
  CHECK(at(4, 1) == images[2].pixels[0]);          // third tile, next row
  CHECK(at(4, 5) == 9);                            // the empty fourth place stays border colour
  CHECK_THROWS_WITH(tile_images({gradient_image(2, 3, 0), gradient_image(3, 2, 0)}, 2),
                    Catch::Contains("2x3 and 3x2"));
  CHECK_THROWS_WITH(tile_images({}, 2), Catch::Contains("no images"));
}

}  // namespace
}  // namespace gradlab::testing
