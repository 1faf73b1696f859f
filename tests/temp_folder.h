// A scratch folder for tests and test tools, without pulling in Catch.
#pragma once

#include <filesystem>
#include <string>

namespace gradlab::testing {

// An empty folder of its own under the system temp directory ("gradlab_<name>"), made anew.
inline std::filesystem::path temp_folder(const std::string& name) {
  const std::filesystem::path folder = std::filesystem::temp_directory_path() / ("gradlab_" + name);
  std::filesystem::remove_all(folder);
  std::filesystem::create_directories(folder);
  return folder;
}

}  // namespace gradlab::testing
