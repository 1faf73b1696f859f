// PNG writing (for the PCA figures) read back by the PNG reader `gradlab predict` uses, and the
// layout of image grids.
#include "datasets/image_file.h"

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

TEST_CASE("encode_png: a PNG that read_gray_image reads back pixel for pixel", "[data][png]") {
  const GrayImage image =
      gradient_image(5, 9, 3);  // not square: rows and columns cannot swap unseen
  const std::string bytes = encode_png(image);
  CHECK(bytes.compare(1, 3, "PNG") == 0);
  const std::string path = (temp_folder("png") / "gradient.png").string();
  std::ofstream(path, std::ios::binary) << bytes;
  const GrayImage read = read_gray_image(path);
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
    return read_gray_image(path);
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
