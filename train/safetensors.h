// The safetensors format (Hugging Face), so checkpoints load in Python with `safetensors`:
//   8 bytes: N, the header length, little-endian uint64
//   N bytes: a JSON header {"__metadata__": {str: str}, name: {"dtype", "shape", "data_offsets"}}
//   then the tensors' raw little-endian bytes; data_offsets are [begin, end) into that block.
// Writes are atomic: to "<path>.tmp", flushed to disk, then renamed over <path>, so a crash
// leaves either the old file or the new one, never half of one; a failed write removes the
// temporary file. gradlab's files carry CRC-32 checksums in the metadata ("checksum.header" of the
// header without that entry, "checksum.tensor.<name>" of each tensor's bytes), verified on load.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "framework/tensor.h"

namespace gradlab {

struct SafetensorsFile {
  std::map<std::string, std::string> metadata;
  std::vector<std::pair<std::string, Tensor<float>>> tensors;  // F32, in file order
};

// before_rename runs after the temporary file is complete and before it replaces `path`; tests
// use it to simulate a crash at the worst moment.
void save_safetensors(const std::string& path, const SafetensorsFile& file,
                      const std::function<void()>& before_rename = {});

// Throws DataError naming the file and what is wrong (truncated, bad header, bad offsets, dtype,
// a checksum that does not match, naming the tensor). The checksums are not returned in metadata.
SafetensorsFile load_safetensors(const std::string& path);

}  // namespace gradlab
