#include "tests/fuzz/targets.h"

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "datasets/idx.h"
#include "datasets/image_file.h"
#include "datasets/image_folder.h"
#include "datasets/registry.h"
#include "datasets/table.h"
#include "framework/config_reader.h"
#include "framework/optim/registry.h"
#include "train/checkpoint.h"
#include "train/config.h"
#include "train/report/report.h"
#include "train/trainer.h"
#include "train/watch/watch.h"

namespace gradlab::fuzz {

namespace {

// The readers take paths: each input goes to a file of this process's own, in memory if the
// system has /dev/shm.
std::string input_path(const std::string& suffix) {
  static const std::string folder = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  return folder + "/gradlab_fuzz_" + std::to_string(::getpid()) + suffix;
}

std::string write_input(const std::uint8_t* data, std::size_t size, const std::string& suffix) {
  const std::string path = input_path(suffix);
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

}  // namespace

bool idx(const std::uint8_t* data, std::size_t size) {
  const std::string path = write_input(data, size, ".idx");
  bool accepted = false;
  for (std::size_t dimensions : {1, 3, 4}) {
    try {
      const IdxArray array = read_idx(path, dimensions);
      std::size_t elements = 1;
      for (std::uint32_t d : array.dims) elements *= d;
      if (elements != array.data.size()) __builtin_trap();  // what it says it read, it read
      accepted = true;
    } catch (const DataError&) {
    }
  }
  return accepted;
}

bool config(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::istringstream lines(text);
  std::string json_text, line;
  std::getline(lines, json_text);
  const std::string path = write_input(reinterpret_cast<const std::uint8_t*>(json_text.data()),
                                       json_text.size(), ".json");
  try {
    nlohmann::json config = load_json_file(path);
    while (std::getline(lines, line)) apply_override(config, line);
    const ExperimentConfig experiment = parse_experiment(config, "fuzz");
    build_experiment_model<float>(experiment, {1, 28, 28}, 10);
    return true;
  } catch (const ConfigError&) {
    return false;
  }
}

bool checkpoint(const std::uint8_t* data, std::size_t size) {
  const std::string path = write_input(data, size, ".safetensors");
  try {
    // As `gradlab eval` and `gradlab train --resume` do: the model from the checkpoint's own
    // config and sample shape, then its weights, buffers, RNG states and optimizer state.
    const Checkpoint loaded = read_checkpoint(path);
    const ExperimentConfig config = parse_experiment(loaded.config, "checkpoint");
    auto model = build_experiment_model<float>(config, loaded.sample_shape,
                                               find_dataset(config.data.dataset).classes());
    restore_model(loaded, *model);
    auto optimizer = make_optimizer<float>(config.optimizer_spec, model->named_parameters());
    restore_optimizer(loaded, *optimizer);
    return true;
  } catch (const DataError&) {
    return false;
  } catch (const ConfigError&) {
    return false;
  }
}

bool image(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    const ImageInfo info = probe_image(bytes, "input");
    for (std::size_t channels : {1, 3}) {
      const Image image = decode_image(bytes, "input", channels);
      if (image.channels != channels || image.height != info.height || image.width != info.width ||
          image.pixels.size() != channels * image.height * image.width)
        __builtin_trap();
      // Resampled both ways: a window cropped for another aspect ratio, shrunk and grown (not
      // the 64-Mpixel images a few compressed bytes can describe: slow, and plain arithmetic).
      if (image.pixels.size() > (std::size_t{1} << 20)) continue;
      const Image small = resize_image(image, 5, 7), large = resize_image(image, 37, 29);
      if (small.pixels.size() != channels * 35 || large.pixels.size() != channels * 37 * 29)
        __builtin_trap();
    }
    return true;
  } catch (const DataError&) {
    return false;
  }
}

bool table(const std::uint8_t* data, std::size_t size) {
  const std::string path = write_input(data, size, ".csv");
  try {
    const TableSummary summary = summarize_table(path);
    TableOptions options;
    options.label = "label";
    options.impute_missing = true;  // missing values reach the encoding and standardisation
    options.unseen_to_other = size % 2 == 1;
    const TableSchema schema = infer_table_schema(path, options);
    ImageDataset rows = read_table(path, schema, options);
    if (rows.count != summary.rows || rows.features.size() != rows.count * schema.width() ||
        rows.sample_shape() != Shape{schema.width()} ||
        schema.feature_names().size() != schema.width())
      __builtin_trap();
    std::vector<std::size_t> all(rows.count);
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    standardize(rows, table_statistics(rows, all, schema));
    for (float x : rows.features)
      if (!std::isfinite(x)) __builtin_trap();
    return true;
  } catch (const DataError&) {
    return false;
  } catch (const ConfigError&) {
    return false;
  }
}

bool image_cache(const std::uint8_t* data, std::size_t size) {
  // The folder: two classes of two 3 × 2 images each, made once; its images decoded without a
  // cache are what every load must give.
  static const std::string folder = [] {
    const std::string root = input_path("_images");
    for (int c = 0; c < 2; ++c)
      for (int i = 0; i < 2; ++i) {
        const Image image{1, 3, 2,
                          std::vector<std::uint8_t>(6, static_cast<std::uint8_t>(40 * c + 9 * i))};
        const std::filesystem::path path =
            std::filesystem::path(root) / ("c" + std::to_string(c)) / (std::to_string(i) + ".png");
        std::filesystem::create_directories(path.parent_path());
        std::ofstream(path, std::ios::binary) << encode_png(image);
      }
    // The folder and its cache go when the process ends (the unit tests replay this target too).
    std::atexit([] {
      const std::string made = input_path("_images");
      std::filesystem::remove_all(made);
      std::filesystem::remove_all(made + "_cache");
    });
    return root;
  }();
  const ImageList list = list_images(folder, {"c0", "c1"});
  static const ImageDataset expected = load_images(list, 2, ImageDecoding{});
  ImageDecoding decoding;
  decoding.cache_folder = folder + "_cache";
  const std::string path = image_cache_path(list, decoding);
  std::filesystem::create_directories(decoding.cache_folder);
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  const ImageDataset loaded = load_images(list, 2, decoding);
  if (loaded.count != expected.count || loaded.labels != expected.labels ||
      !std::equal(expected.image(0), expected.image(0) + 24, loaded.image(0)))
    __builtin_trap();
  return true;
}

bool run_folder(const std::uint8_t* data, std::size_t size) {
  static const std::filesystem::path folder = [] {
    const std::filesystem::path made = input_path("_run");
    std::atexit([] { std::filesystem::remove_all(input_path("_run")); });
    return made;
  }();
  std::filesystem::remove_all(folder);
  std::filesystem::create_directories(folder);
  static const char* const files[] = {"config.json", "metrics.jsonl", "layer_stats.jsonl",
                                      "final_metrics.json", "run.lock"};
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::size_t start = 0;
  for (const char* file : files) {
    if (start > bytes.size()) break;
    const std::size_t end = std::min(bytes.find('\0', start), bytes.size());
    if (end > start)
      std::ofstream(folder / file, std::ios::binary) << bytes.substr(start, end - start);
    start = end + 1;
  }
  try {
    const nlohmann::json data = live_data(folder);
    data.dump();  // what /data.json sends
    return true;
  } catch (const DataError&) {
    return false;
  } catch (const ConfigError&) {
    return false;
  }
}

const std::vector<Target>& targets() {
  static const std::vector<Target> all{
      {"idx", idx},     {"config", config},           {"checkpoint", checkpoint}, {"image", image},
      {"table", table}, {"image_cache", image_cache}, {"run_folder", run_folder}};
  return all;
}

}  // namespace gradlab::fuzz
