#include "train/safetensors.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <tuple>

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "datasets/idx.h"

namespace gradlab {

namespace {

static_assert(sizeof(float) == 4, "F32 tensors need 4-byte floats");

// Writes `bytes` to path + ".tmp", fsyncs, runs before_rename, renames over path.
void write_atomically(const std::string& path, const std::string& bytes,
                      const std::function<void()>& before_rename) {
  const std::string temporary = path + ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) throw DataError(temporary + ": cannot open for writing: " + std::strerror(errno));
  std::size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      const std::string reason = std::strerror(errno);
      ::close(fd);
      throw DataError(temporary + ": write failed: " + reason);
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0)
    throw DataError(temporary + ": flush to disk failed: " + std::strerror(errno));
  if (before_rename) before_rename();
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) throw DataError(path + ": cannot replace with " + temporary + ": " + error.message());
}

}  // namespace

void write_file_atomically(const std::string& path, const std::string& contents) {
  write_atomically(path, contents, {});
}

void save_safetensors(const std::string& path, const SafetensorsFile& file,
                      const std::function<void()>& before_rename) {
  nlohmann::ordered_json header;
  if (!file.metadata.empty()) header["__metadata__"] = file.metadata;
  std::size_t offset = 0;
  for (const auto& [name, tensor] : file.tensors) {
    if (name == "__metadata__" || header.contains(name))
      throw DataError(path + ": duplicate or reserved tensor name '" + name + "'");
    const std::size_t bytes = tensor.size() * sizeof(float);
    header[name] = {
        {"dtype", "F32"}, {"shape", shape_of(tensor)}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
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
  write_atomically(path, bytes, before_rename);
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

  SafetensorsFile file;
  std::vector<std::tuple<std::size_t, std::string, Tensor<float>>> ordered;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      for (const auto& [key, value] : entry.items()) {
        if (!value.is_string()) throw DataError(path + ": metadata '" + key + "' is not a string");
        file.metadata[key] = value.get<std::string>();
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
      std::size_t elements = 1;
      for (std::size_t d : shape) elements *= d;
      if (offsets.size() != 2 || offsets[0] > offsets[1] || offsets[1] > data_size ||
          offsets[1] - offsets[0] != elements * sizeof(float)) {
        throw DataError(path + ": tensor '" + name +
                        "' has data_offsets that do not fit its shape " + to_string(shape) +
                        " or the file (truncated?)");
      }
      Tensor<float> tensor = Tensor<float>::from_shape(shape);
      std::memcpy(tensor.data(), bytes.data() + data_start + offsets[0], elements * sizeof(float));
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
