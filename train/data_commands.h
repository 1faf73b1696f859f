// gradlab data: looking at a data set before training on it, and writing one out as an image
// folder. Each returns the process exit code and throws on bad input.
#pragma once

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

namespace gradlab {

// What `gradlab data inspect PATH` reports of an image folder or a folder of IDX files: per split,
// its classes and their counts and the imbalance ratio (largest class / smallest); for images,
// their sizes and modes (format, colour type, bit depth) with counts; problems found (unreadable
// files, sizes that differ, ignored files, classes missing from a split). Of a CSV file: its rows
// and, per column, type, missing count, range or distinct values; with a label column, the
// classes' counts and imbalance. Throws DataError when PATH is none of these.
nlohmann::json inspect_data(const std::string& path, const std::string& label = "");
// The same as text on stdout, or as JSON (json).
int data_inspect_command(const std::string& path, const std::string& label, bool json);

// gradlab data write-folder: a data set of the registry (MNIST, Fashion-MNIST, an IDX folder)
// written as an image folder, OUT/train/<class>/<index>.<ext> and OUT/test/..., as PNG or JPEG
// (quality 95), grey or RGB (the grey value in every channel). Class folders are the class names
// where they sort in label order (digits), else "<label>_<name>" ('/' in a name becomes '-').
struct WriteFolderOptions {
  std::string dataset = "mnist", folder, out, format = "png";
  std::size_t channels = 1;
  std::size_t limit = 0;  // the first N images of each split (0 = all)
};
int data_write_folder_command(const WriteFolderOptions& options);

}  // namespace gradlab
