// gradlab_bench data: the cost of reading a data set from an image folder rather than IDX files.
//   decode:  every image of the folder (train and test) decoded into a fresh cache, in parallel
//   cached:  the same loaded again from the cache (memory-mapped)
//   start:   a LeNet experiment's TrainingData made from the cached folder (what `gradlab train`
//            does before its first step, besides building the model)
//   train:   LeNet training steps fed by the folder's loader against the IDX loader's, the same
//            number of steps each, alternating in every round so that both see the machine alike;
//            the ratio of their images/s per round, its median and range.
#include "bench/data_bench.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "datasets/registry.h"
#include "datasets/table.h"
#include "framework/losses/softmax_cross_entropy.h"
#include "framework/runtime.h"
#include "models/builder.h"
#include "train/config.h"
#include "train/evaluation.h"
#include "train/training_data.h"

namespace gradlab {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

ExperimentConfig lenet_experiment(const std::string& dataset, const std::string& folder) {
  nlohmann::json config{{"seed", 42},
                        {"data",
                         {{"dataset", dataset},
                          {"folder", folder},
                          {"validation_split", 0.1},
                          {"normalize", {{"mean", 0.1307}, {"std", 0.3081}}}}},
                        {"model", {{"name", "lenet"}}},
                        {"optimizer", {{"type", "adam"}, {"lr", 0.002}}},
                        {"epochs", 1},
                        {"batch_size", 64}};
  return parse_experiment(config, "bench");
}

// One side of the training comparison: its data, model, loss and optimizer.
struct Side {
  ExperimentConfig config;
  TrainingData data;
  std::unique_ptr<Sequential<float>> model;
  SoftmaxCrossEntropy<float> loss;
  std::unique_ptr<Optimizer<float>> optimizer;
  Tensor<float> images;
  Labels labels;
  Rng rng{7};

  explicit Side(ExperimentConfig experiment)
      : config(std::move(experiment)),
        data(config),
        model(build_experiment_model<float>(config, data.sample_shape(), data.classes())),
        optimizer(make_optimizer<float>(config.optimizer_spec, model->named_parameters())) {
    model->set_needs_input_grad(false);
    data.train().start_epoch(rng);
  }

  // `steps` training steps, loading each batch; images per second.
  double train(std::size_t steps) {
    const auto start = Clock::now();
    std::size_t images_seen = 0;
    for (std::size_t s = 0; s < steps; ++s) {
      if (!data.train().next(images, labels)) {
        data.train().start_epoch(rng);
        data.train().next(images, labels);
      }
      optimizer->zero_grad();
      loss.forward(model->forward(images), labels);
      model->backward(loss.backward());
      optimizer->step();
      images_seen += labels.size();
    }
    return static_cast<double>(images_seen) / seconds_since(start);
  }
};

}  // namespace

nlohmann::json data_benchmark(const std::string& idx_folder, const std::string& image_folder,
                              std::size_t rounds) {
  const std::filesystem::path cache = std::filesystem::path(image_folder).string() + "-bench-cache";
  std::filesystem::remove_all(cache);
  setenv("GRADLAB_CACHE_DIR", cache.c_str(), 1);
  DataSource source;
  source.dataset = "image_folder";
  source.folder = image_folder;
  source.class_names = class_names_of(source);

  auto start = Clock::now();
  const std::size_t decoded = load_split(source, "train").count + load_split(source, "test").count;
  const double decode_seconds = seconds_since(start);
  start = Clock::now();
  const std::size_t cached = load_split(source, "train").count + load_split(source, "test").count;
  const double cached_seconds = seconds_since(start);
  start = Clock::now();
  { const TrainingData data(lenet_experiment("image_folder", image_folder)); }
  const double start_seconds = seconds_since(start);

  Side idx(lenet_experiment("idx", idx_folder)),
      folder(lenet_experiment("image_folder", image_folder));
  const std::size_t steps = 150;
  idx.train(20);  // warm-up: oneDNN's primitives, the first pages of the mapping
  folder.train(20);
  std::vector<double> ratios, idx_rates, folder_rates;
  for (std::size_t r = 0; r < rounds; ++r) {
    idx_rates.push_back(idx.train(steps));
    folder_rates.push_back(folder.train(steps));
    ratios.push_back(folder_rates.back() / idx_rates.back());
  }
  auto median = [](std::vector<double> values) {
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  };
  std::filesystem::remove_all(cache);
  return {{"images_decoded", decoded},
          {"images_cached", cached},
          {"threads", num_threads()},
          {"decode_seconds", decode_seconds},
          {"cached_load_seconds", cached_seconds},
          {"training_data_seconds", start_seconds},
          {"rounds", rounds},
          {"steps_per_round", steps},
          {"idx_images_per_second_median", median(idx_rates)},
          {"folder_images_per_second_median", median(folder_rates)},
          {"folder_over_idx_median", median(ratios)},
          {"folder_over_idx_min", *std::min_element(ratios.begin(), ratios.end())},
          {"folder_over_idx_max", *std::max_element(ratios.begin(), ratios.end())}};
}

nlohmann::json table_benchmark(const std::string& file, const std::string& label) {
  TableOptions options;
  options.label = label;
  auto start = Clock::now();
  const TableSchema schema = infer_table_schema(file, options);
  const double schema_seconds = seconds_since(start);
  start = Clock::now();
  const ImageDataset table = read_table(file, schema, options);
  const double rows_seconds = seconds_since(start);
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double matrix_mib = table.features.size() * sizeof(float) / 1048576.0,
               peak_mib = usage.ru_maxrss / 1024.0;
  return {{"file", file},
          {"file_mib", std::filesystem::file_size(file) / 1048576.0},
          {"rows", table.count},
          {"features", table.width},
          {"schema_pass_seconds", schema_seconds},
          {"rows_pass_seconds", rows_seconds},
          {"load_seconds", schema_seconds + rows_seconds},
          {"matrix_mib", matrix_mib},
          {"peak_rss_mib", peak_mib},
          {"peak_over_matrix", peak_mib / matrix_mib}};
}

}  // namespace gradlab
