#include "datasets/idx.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include <zlib.h>

namespace gradlab {

namespace {

struct GzCloser {
  void operator()(gzFile_s* file) const { gzclose(file); }
};

// Reads up to `size` bytes; returns how many were read. Throws on a read error (corrupt gzip).
std::size_t read_bytes(gzFile file, void* buffer, std::size_t size, const std::string& path) {
  std::size_t total = 0;
  auto* out = static_cast<unsigned char*>(buffer);
  while (total < size) {
    const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(size - total, 1u << 30));
    const int n = gzread(file, out + total, chunk);
    if (n < 0) {
      int code = 0;
      const char* message = gzerror(file, &code);
      throw DataError(path + ": read error (" + (message ? message : "unknown") +
                      "); the file is corrupt");
    }
    if (n == 0) break;
    total += static_cast<std::size_t>(n);
  }
  return total;
}

}  // namespace

IdxArray read_idx(const std::string& path, std::size_t expected_dimensions) {
  std::unique_ptr<gzFile_s, GzCloser> file(gzopen(path.c_str(), "rb"));
  if (!file) throw DataError(path + ": cannot open (does the file exist?)");

  unsigned char magic[4];
  if (read_bytes(file.get(), magic, 4, path) != 4)
    throw DataError(path + ": truncated: shorter than the 4-byte IDX magic");
  if (magic[0] != 0 || magic[1] != 0)
    throw DataError(path + ": not an IDX file (magic does not start with two zero bytes)");
  if (magic[2] != 0x08) {
    char type[8];
    std::snprintf(type, sizeof type, "0x%02x", magic[2]);
    throw DataError(path + ": unsupported IDX element type " + type +
                    " (only 0x08, unsigned byte, is supported)");
  }
  if (magic[3] != expected_dimensions) {
    throw DataError(path + ": expected " + std::to_string(expected_dimensions) +
                    " dimensions, the header says " + std::to_string(magic[3]));
  }

  IdxArray array;
  std::size_t elements = 1;
  for (std::size_t d = 0; d < expected_dimensions; ++d) {
    unsigned char size[4];
    if (read_bytes(file.get(), size, 4, path) != 4)
      throw DataError(path + ": truncated inside the header");
    const std::uint32_t dim = (std::uint32_t{size[0]} << 24) | (std::uint32_t{size[1]} << 16) |
                              (std::uint32_t{size[2]} << 8) | std::uint32_t{size[3]};
    if (dim == 0) throw DataError(path + ": dimension " + std::to_string(d) + " is 0");
    array.dims.push_back(dim);
    elements *= dim;
    if (elements > (std::size_t{1} << 34))
      throw DataError(path + ": header sizes are implausibly large (corrupt header?)");
  }

  // Never allocate what the header claims before the file shows it holds it: a corrupt or
  // hostile header must not make us reserve gigabytes. A plain file's size is known; a gzip
  // stream's is not, so its data is read in chunks, growing as it arrives.
  const std::size_t header_bytes = 4 + 4 * expected_dimensions;
  if (gzdirect(file.get())) {
    std::error_code error;
    const auto file_size = std::filesystem::file_size(path, error);
    if (!error && file_size < header_bytes + elements)
      throw DataError(path + ": truncated: the header promises " + std::to_string(elements) +
                      " bytes of data, the file has " + std::to_string(file_size - header_bytes));
  }
  std::size_t got = 0;
  try {
    constexpr std::size_t kChunk = std::size_t{1} << 24;  // 16 MiB
    while (got < elements) {
      const std::size_t want = std::min(kChunk, elements - got);
      array.data.resize(got + want);
      const std::size_t n = read_bytes(file.get(), array.data.data() + got, want, path);
      got += n;
      if (n < want) break;
    }
    array.data.resize(got);
  } catch (const std::bad_alloc&) {
    throw DataError(path + ": not enough memory for its " + std::to_string(elements) +
                    " bytes of data");
  }
  if (got != elements) {
    throw DataError(path + ": truncated: the header promises " + std::to_string(elements) +
                    " bytes of data, the file has " + std::to_string(got));
  }
  unsigned char extra;
  if (read_bytes(file.get(), &extra, 1, path) != 0) {
    throw DataError(path + ": longer than its header says (" + std::to_string(elements) +
                    " bytes of data expected); wrong dimensions or a corrupt file");
  }
  return array;
}

void write_idx(const std::string& path, const std::vector<std::uint32_t>& dims,
               const std::vector<std::uint8_t>& data) {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw DataError(path + ": cannot open for writing");
  const unsigned char magic[4] = {0, 0, 0x08, static_cast<unsigned char>(dims.size())};
  out.write(reinterpret_cast<const char*>(magic), 4);
  for (std::uint32_t dim : dims) {
    const unsigned char size[4] = {
        static_cast<unsigned char>(dim >> 24), static_cast<unsigned char>(dim >> 16),
        static_cast<unsigned char>(dim >> 8), static_cast<unsigned char>(dim)};
    out.write(reinterpret_cast<const char*>(size), 4);
  }
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  if (!out) throw DataError(path + ": write failed");
}

}  // namespace gradlab
