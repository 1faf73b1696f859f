// Whole files in and out, for every reader and writer of the library (data sets, images,
// checkpoints, results, reports): one way to fail, with the file's name in the message.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>

namespace gradlab {

// A file that is missing, unreadable, truncated or malformed; the message names the file and
// the fault.
class DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The whole of a file's bytes; DataError "PATH: cannot open" or "PATH: read failed".
std::string read_file(const std::string& path);

// Writes contents to PATH.tmp, flushes it to disk, runs before_rename, renames it over path: a
// reader sees the old file or the new one, never a part (checkpoints, results, configs). On any
// failure the temporary file is removed (a failed write on a full disk must not keep the disk
// full), path is untouched, and a DataError names both. before_rename: for tests, which simulate
// a crash at the worst moment.
void write_file_atomically(const std::string& path, const std::string& contents,
                           const std::function<void()>& before_rename = {});

}  // namespace gradlab
