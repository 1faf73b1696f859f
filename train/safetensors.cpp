#include "train/safetensors.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <tuple>

#include <zlib.h>
#include <nlohmann/json.hpp>

#include "datasets/idx.h"
#include "framework/files.h"

namespace gradlab {

namespace {

static_assert(sizeof(float) == 4, "F32 tensors need 4-byte floats");

// CRC-32 (zlib's) of bytes, as 8 hex digits.
std::string crc32_text(const void* data, std::size_t size) {
  uLong crc = crc32(0L, Z_NULL, 0);
  const auto* bytes = static_cast<const Bytef*>(data);
  while (size > 0) {  // zlib takes at most uInt bytes at a time
    const uInt chunk = static_cast<uInt>(std::min<std::size_t>(size, 1u << 30));
    crc = crc32(crc, bytes, chunk);
    bytes += chunk;
    size -= chunk;
  }
  char text[9];
  std::snprintf(text, sizeof text, "%08lx", static_cast<unsigned long>(crc & 0xffffffffUL));
  return text;
}

constexpr const char* kHeaderChecksum = "checksum.header";
constexpr const char* kTensorChecksum = "checksum.tensor.";  // + the tensor's name

// The header's canonical text for its checksum: the JSON without the header checksum itself,
// keys sorted (nlohmann::json orders object keys), no spacing.
std::string canonical_header(nlohmann::json header) {
  if (header.contains("__metadata__")) header["__metadata__"].erase(kHeaderChecksum);
  return header.dump();
}

}  // namespace

void save_safetensors(const std::string& path, const SafetensorsFile& file,
                      const std::function<void()>& before_rename) {
  nlohmann::ordered_json header;
  // A checksum of each tensor's bytes and of the header (metadata and tensor entries), so that a
  // flipped byte anywhere is caught on load; they live in the metadata, so the file stays a valid
  // safetensors file for other readers.
  std::map<std::string, std::string> metadata = file.metadata;
  for (const auto& [name, tensor] : file.tensors)
    metadata[kTensorChecksum + name] = crc32_text(tensor.data(), tensor.size() * sizeof(float));
  header["__metadata__"] = metadata;
  std::size_t offset = 0;
  for (const auto& [name, tensor] : file.tensors) {
    if (name == "__metadata__" || header.contains(name))
      throw DataError(path + ": duplicate or reserved tensor name '" + name + "'");
    const std::size_t bytes = tensor.size() * sizeof(float);
    header[name] = {
        {"dtype", "F32"}, {"shape", shape_of(tensor)}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  const std::string canonical = canonical_header(nlohmann::json::parse(header.dump()));
  header["__metadata__"][kHeaderChecksum] = crc32_text(canonical.data(), canonical.size());
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8,
              ' ');  // pad so the data starts 8-byte aligned, as the spec allows

  std::string bytes(8, '\0');
  const std::uint64_t length = text.size();
  for (int i = 0; i < 8; ++i)
    bytes[i] = static_cast<char>((length >> (8 * i)) & 0xff);  // little-endian
  bytes += text;
  bytes.reserve(bytes.size() + offset);
  // x86 and ARM Linux are little-endian, so a float's bytes are already in file order.
  for (const auto& entry : file.tensors)
    bytes.append(reinterpret_cast<const char*>(entry.second.data()),
                 entry.second.size() * sizeof(float));
  write_file_atomically(path, bytes, before_rename);
}

SafetensorsFile load_safetensors(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(path + ": cannot open (does the checkpoint exist?)");
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.size() < 8)
    throw DataError(path + ": truncated: shorter than the 8-byte safetensors header length");
  std::uint64_t length = 0;
  for (int i = 0; i < 8; ++i)
    length |= std::uint64_t{static_cast<unsigned char>(bytes[i])} << (8 * i);
  if (length > bytes.size() - 8) {
    throw DataError(path + ": truncated or not a safetensors file: header length " +
                    std::to_string(length) + " exceeds the file's " +
                    std::to_string(bytes.size() - 8) + " remaining bytes");
  }
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(bytes.substr(8, length));
  } catch (const nlohmann::json::exception& error) {
    throw DataError(path + ": the safetensors header is not valid JSON: " + error.what());
  }
  if (!header.is_object()) throw DataError(path + ": the safetensors header is not a JSON object");
  const std::size_t data_start = 8 + length, data_size = bytes.size() - data_start;
  // Files gradlab wrote carry checksums (save_safetensors); files from other writers, and
  // gradlab's before checksums, do not, and load unchecked.
  const nlohmann::json* metadata =
      header.contains("__metadata__") && header["__metadata__"].is_object()
          ? &header["__metadata__"]
          : nullptr;
  if (metadata && metadata->contains(kHeaderChecksum)) {
    const std::string canonical = canonical_header(header);
    if ((*metadata)[kHeaderChecksum] != crc32_text(canonical.data(), canonical.size()))
      throw DataError(path + ": the header's checksum does not match: the file is corrupt");
  }

  SafetensorsFile file;
  std::vector<std::tuple<std::size_t, std::string, Tensor<float>>> ordered;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      for (const auto& [key, value] : entry.items()) {
        if (!value.is_string()) throw DataError(path + ": metadata '" + key + "' is not a string");
        if (key.rfind("checksum.", 0) != 0) file.metadata[key] = value.get<std::string>();
      }
      continue;
    }
    try {
      const std::string dtype = entry.at("dtype").get<std::string>();
      if (dtype != "F32")
        throw DataError(path + ": tensor '" + name + "' has dtype " + dtype +
                        "; gradlab reads F32");
      const Shape shape = entry.at("shape").get<Shape>();
      const auto offsets = entry.at("data_offsets").get<std::vector<std::size_t>>();
      // The element count, refusing shapes whose byte count overflows (no tensor that large
      // fits in a file this size anyway).
      std::size_t elements = 1;
      bool too_large = false;
      for (std::size_t d : shape) {
        if (d != 0 && elements > data_size / sizeof(float) / d) too_large = true;
        elements *= d;
      }
      if (too_large || offsets.size() != 2 || offsets[0] > offsets[1] || offsets[1] > data_size ||
          offsets[1] - offsets[0] != elements * sizeof(float)) {
        throw DataError(path + ": tensor '" + name +
                        "' has data_offsets that do not fit its shape " + to_string(shape) +
                        " or the file (truncated?)");
      }
      const char* data = bytes.data() + data_start + offsets[0];
      if (metadata && metadata->contains(kTensorChecksum + name) &&
          (*metadata)[kTensorChecksum + name] != crc32_text(data, elements * sizeof(float)))
        throw DataError(path + ": tensor '" + name +
                        "' does not match its checksum: the file is corrupt");
      Tensor<float> tensor = Tensor<float>::from_shape(shape);
      std::memcpy(tensor.data(), data, elements * sizeof(float));
      ordered.emplace_back(offsets[0], name, std::move(tensor));
    } catch (const nlohmann::json::exception& error) {
      throw DataError(path + ": tensor '" + name +
                      "' has a malformed header entry: " + error.what());
    }
  }
  std::sort(ordered.begin(), ordered.end(),
            [](const auto& a, const auto& b) { return std::get<0>(a) < std::get<0>(b); });
  for (auto& [offset, name, tensor] : ordered) file.tensors.emplace_back(name, std::move(tensor));
  return file;
}

}  // namespace gradlab
