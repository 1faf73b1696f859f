// gradlab_bench data IDX_FOLDER IMAGE_FOLDER [ROUNDS]: an image folder's decoding, cache and
// training speed against the IDX files of the same images (bench/data_bench.cpp).
#pragma once

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

namespace gradlab {

nlohmann::json data_benchmark(const std::string& idx_folder, const std::string& image_folder,
                              std::size_t rounds);

// gradlab_bench table FILE LABEL: a CSV table loaded as training loads it (schema pass, rows
// pass): seconds of each, the float matrix's size and the process's peak resident memory.
nlohmann::json table_benchmark(const std::string& file, const std::string& label);

}  // namespace gradlab
