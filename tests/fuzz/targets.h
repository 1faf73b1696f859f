// Fuzz targets: gradlab's readers of untrusted input, each given arbitrary bytes. Built into
// libFuzzer executables by scripts/fuzz.sh (tests/fuzz/fuzz_main.cpp), and replayed over the
// seed and regression corpora by the unit tests (tests/fuzz/regressions_test.cpp). A target
// returns true when the reader accepts the input, false when it refuses it with its documented
// error (DataError, ConfigError); anything else — another exception, a crash, a sanitizer report,
// a reader that says it read more than it did — is a finding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace gradlab::fuzz {

// The IDX reader, plain or gzipped (zlib tells them apart), with 1, 3 or 4 dimensions expected.
bool idx(const std::uint8_t* data, std::size_t size);
// An experiment config: the first line of the input is JSON (a config), each further line a
// --set override; parsed as the CLI does, then the model built for 1×28×28 inputs.
bool config(const std::uint8_t* data, std::size_t size);
// A checkpoint, read as `gradlab eval` and `--resume` read one: the safetensors file, its
// metadata, the model its config describes, its weights and its optimizer state.
bool checkpoint(const std::uint8_t* data, std::size_t size);
// An image file (PNG, JPEG, PGM) as image folders and `gradlab predict` read one: probed,
// decoded to grey and to RGB, and resized.
bool image(const std::uint8_t* data, std::size_t size);

// A CSV table read as training and test files are: summarised (data inspect), its schema inferred
// with the label column "label" (missing values imputed), then its rows read and standardised
// with that schema.
bool table(const std::uint8_t* data, std::size_t size);
// An image folder's cache file: the input is written where the cache of a fixed small folder
// lives, then the folder is loaded; the images must be the folder's whatever the file held (read
// if whole and fitting, else rebuilt): anything else is a finding. Always true otherwise.
bool image_cache(const std::uint8_t* data, std::size_t size);
// A run folder as `gradlab watch` and `gradlab report` read one, possibly while its trainer writes
// it: the input is its files config.json, metrics.jsonl, layer_stats.jsonl, final_metrics.json and
// run.lock in that order, separated by NUL bytes; an empty part, or one past the last, is a file
// that is not there. Read as the live page's data, which is then serialised as the page gets it.
bool run_folder(const std::uint8_t* data, std::size_t size);

struct Target {
  std::string name;
  bool (*run)(const std::uint8_t*, std::size_t);
};
const std::vector<Target>& targets();

}  // namespace gradlab::fuzz
