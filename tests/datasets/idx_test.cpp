#include "datasets/idx.h"

#include <filesystem>
#include <fstream>

#include <sys/resource.h>
#include <zlib.h>

#include "datasets/image_dataset.h"
#include "tests/support.h"

using namespace gradlab;
using gradlab::testing::temp_folder;
namespace fs = std::filesystem;

namespace {
void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}
std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
}  // namespace

TEST_CASE("IDX round trip, plain and gzipped", "[idx]") {
  const fs::path folder = temp_folder("idx_roundtrip");
  const std::vector<std::uint8_t> data{0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255};
  write_idx((folder / "a-idx3-ubyte").string(), {2, 3, 2}, data);
  const IdxArray plain = read_idx((folder / "a-idx3-ubyte").string(), 3);
  CHECK(plain.dims == std::vector<std::uint32_t>{2, 3, 2});
  CHECK(plain.data == data);
  // The header bytes, written out: magic 00 00 08 03, then 2, 3, 2 as big-endian uint32.
  const std::string bytes = read_bytes(folder / "a-idx3-ubyte");
  CHECK(bytes.substr(0, 8) == std::string("\0\0\x08\x03\0\0\0\x02", 8));

  gzFile gz = gzopen((folder / "a-idx3-ubyte.gz").string().c_str(), "wb");
  gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(gz);
  CHECK(read_idx((folder / "a-idx3-ubyte.gz").string(), 3).data == data);
}

TEST_CASE("IDX reader reports truncated, wrong-magic, wrong-dimension and over-long files",
          "[idx][errors]") {
  const fs::path folder = temp_folder("idx_bad");
  const std::string path = (folder / "x").string();
  write_idx(path, {4, 2, 2}, std::vector<std::uint8_t>(16, 7));
  const std::string good = read_bytes(path);

  write_bytes(path, good.substr(0, good.size() - 3));
  CHECK_THROWS_WITH(read_idx(path, 3),
                    path + ": truncated: the header promises 16 bytes of data, the file has 13");
  write_bytes(path, good.substr(0, 6));
  CHECK_THROWS_WITH(read_idx(path, 3), path + ": truncated inside the header");
  write_bytes(path, std::string("\x01\0\x08\x03", 4) + good.substr(4));
  CHECK_THROWS_WITH(read_idx(path, 3),
                    path + ": not an IDX file (magic does not start with two zero bytes)");
  write_bytes(path, std::string("\0\0\x0d\x03", 4) + good.substr(4));
  CHECK_THROWS_WITH(read_idx(path, 3), Catch::Matchers::Contains("unsupported IDX element type"));
  write_bytes(path, good);
  CHECK_THROWS_WITH(read_idx(path, 1), path + ": expected 1 dimensions, the header says 3");
  write_bytes(path, good + "extra");
  CHECK_THROWS_WITH(read_idx(path, 3), Catch::Matchers::Contains("longer than its header says"));
  CHECK_THROWS_WITH(read_idx((folder / "missing").string(), 3),
                    Catch::Matchers::EndsWith("cannot open (does the file exist?)"));
  // A corrupt gzip stream.
  write_bytes(path + ".gz", std::string("\x1f\x8b\x08\x00garbagegarbage", 16));
  CHECK_THROWS_AS(read_idx(path + ".gz", 3), DataError);
}

TEST_CASE("An image data set checks that images and labels agree", "[idx][errors]") {
  const fs::path folder = temp_folder("idx_dataset");
  write_idx((folder / "train-images-idx3-ubyte").string(), {3, 2, 2},
            std::vector<std::uint8_t>(12, 1));
  write_idx((folder / "train-labels-idx1-ubyte").string(), {3}, {0, 9, 4});
  const ImageDataset data = load_idx_dataset(folder.string(), "train");
  CHECK(data.count == 3);
  CHECK(data.height == 2);
  CHECK(data.labels == Labels{0, 9, 4});

  write_idx((folder / "train-labels-idx1-ubyte").string(), {2}, {0, 9});
  CHECK_THROWS_WITH(
      load_idx_dataset(folder.string(), "train"),
      Catch::Matchers::Contains("has 3 images but") && Catch::Matchers::Contains("has 2 labels"));
  write_idx((folder / "train-labels-idx1-ubyte").string(), {3}, {0, 10, 4});
  CHECK_THROWS_WITH(load_idx_dataset(folder.string(), "train"),
                    Catch::Matchers::EndsWith("label 10 at index 1 is outside [0, 10)"));
  CHECK_THROWS_WITH(load_idx_dataset(folder.string(), "t10k"),
                    Catch::Matchers::Contains("t10k-images-idx3-ubyte: not found"));
}

TEST_CASE("IDX errors say the element type in hex", "[idx][errors]") {
  const fs::path folder = temp_folder("idx_type");
  const std::string path = (folder / "x").string();
  write_bytes(path, std::string("\0\0\x0d\x03", 4) + std::string(12, '\1') + "data");
  CHECK_THROWS_WITH(read_idx(path, 3), path +
                                           ": unsupported IDX element type 0x0d (only 0x08, "
                                           "unsigned byte, is supported)");
}

namespace {
double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;
}
}  // namespace

TEST_CASE("An IDX header promising more than the file holds is refused before allocating it",
          "[idx][errors]") {
  // 65536 × 256 × 256 = 4 GiB promised, 78 KB present: the reader must say so, not allocate 4 GiB
  // (under a memory limit the only message was std::bad_alloc). Plain and gzipped.
  const fs::path folder = temp_folder("idx_liar");
  const std::string header("\0\0\x08\x03\0\x01\0\0\0\0\x01\0\0\0\x01\0", 16);
  const std::string data(78000, '\x42');
  const std::string plain = (folder / "liar").string(), gzipped = plain + ".gz";
  write_bytes(plain, header + data);
  {
    gzFile out = gzopen(gzipped.c_str(), "wb");
    REQUIRE(out != nullptr);
    const std::string all = header + data;
    gzwrite(out, all.data(), static_cast<unsigned>(all.size()));
    gzclose(out);
  }
  const double before = peak_rss_mib();
  CHECK_THROWS_WITH(read_idx(plain, 3), plain +
                                            ": truncated: the header promises 4294967296 "
                                            "bytes of data, the file has 78000");
  CHECK_THROWS_WITH(read_idx(gzipped, 3), gzipped +
                                              ": truncated: the header promises 4294967296 "
                                              "bytes of data, the file has 78000");
  INFO("peak RSS grew by " << peak_rss_mib() - before << " MiB");
  CHECK(peak_rss_mib() - before < 64);  // at most one 16 MiB chunk, not 4 GiB
}
