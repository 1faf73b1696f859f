#include "train/training_data.h"

#include "datasets/idx.h"

#include <algorithm>
#include <cmath>

namespace gradlab {

namespace {
// The indices of the training split: the first data.limit images, thinned per class by
// data.keep_fraction, then shuffled and split for validation, all drawn from the seed. An image
// folder lists its images class by class, so its first N would be its first classes: its
// data.limit is N images drawn by the seed instead (in list order).
Split draw_split(const ExperimentConfig& config, const ImageDataset& train_set,
                 const ImageDataset& validation_set) {
  std::vector<std::size_t> indices(train_set.count);
  for (std::size_t i = 0; i < indices.size(); ++i) indices[i] = i;
  if (config.data.limit && config.data.limit < train_set.count) {
    if (find_dataset(config.data.dataset).image_folder) {
      Rng limit_rng(derive_seed(config.seed, 0x11317));
      for (std::size_t i = indices.size(); i-- > 1;)
        std::swap(indices[i], indices[limit_rng.below(i + 1)]);
      indices.resize(config.data.limit);
      std::sort(indices.begin(), indices.end());
    } else {
      indices.resize(config.data.limit);
    }
  }
  Rng data_rng(config.seed + 1);
  if (!config.data.keep_fraction.empty())
    indices = keep_per_class(indices, train_set.labels, config.data.keep_fraction, data_rng);
  // A data set with validation images of its own keeps all of train for training.
  const double held_out = validation_set.count ? 0.0 : config.data.validation_split;
  Split split = split_indices(indices.size(), held_out, data_rng);
  for (std::size_t& i : split.train) i = indices[i];
  for (std::size_t& i : split.validation) i = indices[i];
  if (validation_set.count) {
    split.validation.resize(validation_set.count);
    for (std::size_t i = 0; i < validation_set.count; ++i) split.validation[i] = i;
  }
  if (split.train.empty())
    throw ConfigError(
        "data: no training images left after limit, keep_fraction and validation_split");
  return split;
}

// Per channel, the mean and standard deviation of the pixels (scaled to [0, 1]) of the images at
// `indices`, from a histogram of their bytes.
Normalization training_statistics(const ImageDataset& data,
                                  const std::vector<std::size_t>& indices) {
  const std::size_t plane = data.height * data.width;
  Normalization statistics;
  statistics.mean.clear();
  statistics.std.clear();
  for (std::size_t c = 0; c < data.channels; ++c) {
    std::vector<std::uint64_t> histogram(256, 0);
    for (std::size_t i : indices) {
      const std::uint8_t* pixels = data.image(i) + c * plane;
      for (std::size_t k = 0; k < plane; ++k) ++histogram[pixels[k]];
    }
    double count = 0, sum = 0, squares = 0;
    for (int p = 0; p < 256; ++p) {
      const double n = static_cast<double>(histogram[p]), x = p / 255.0;
      count += n;
      sum += n * x;
      squares += n * x * x;
    }
    const double mean = sum / count, variance = std::max(0.0, squares / count - mean * mean);
    statistics.mean.push_back(mean);
    // A channel of one value has no spread to divide by: leave it unscaled.
    statistics.std.push_back(variance > 1e-12 ? std::sqrt(variance) : 1.0);
  }
  return statistics;
}

Labels labels_of(const ImageDataset& data, const std::vector<std::size_t>& indices) {
  Labels labels;
  for (std::size_t i : indices) labels.push_back(data.labels[i]);
  return labels;
}
}  // namespace

TrainingData::TrainingData(const ExperimentConfig& config, const LoadLog& log)
    : config_(config),
      dataset_(find_dataset(config.data.dataset)),
      train_set_(load_split(config.data, "train", log)),
      validation_set_(load_split(config.data, "validation", log)),
      split_(draw_split(config, train_set_, validation_set_)),
      train_labels_(labels_of(train_set_, split_.train)),
      sample_shape_(train_set_.sample_shape()),
      normalization_(config.data.normalize_from_training
                         ? training_statistics(train_set_, split_.train)
                         : config.data.normalization),
      train_loader_(train_set_, split_.train, config.batch_size, true, false, normalization_),
      // Evaluation uses the training batch size: each new batch size costs oneDNN plans and
      // buffers.
      validation_loader_(validation_set_.count ? validation_set_ : train_set_, split_.validation,
                         config.batch_size, false, false, normalization_) {
  if (validation_set_.count && validation_set_.sample_shape() != sample_shape_)
    throw DataError(config.data.folder + ": validation images are " +
                    to_string(validation_set_.sample_shape()) + ", training images " +
                    to_string(sample_shape_) + "; set data.image_size to resize both");
  // A table is standardised with its training rows' statistics (validation rows included in the
  // transformation, not in the statistics), unless the config brings them (a resumed run).
  if (train_set_.table) {
    standardization_ = config.data.standardization;
    if (standardization_.mean.empty()) {
      standardization_ = table_statistics(train_set_, split_.train, config.data.schema,
                                          config.data.scale_per_column);
      standardize(train_set_, standardization_);
    }
  }
  if (config.data.oversample) {
    sampler_ = std::make_unique<WeightedSampler>(class_balancing_weights(train_labels_, classes()));
    train_loader_.set_sampler(sampler_.get());
  }
  // A shift of half the smaller side or more can move an image's whole content out of view:
  // training on blank images without a word.
  const std::size_t translate = config.data.augmentation.translate,
                    side = std::min(train_set_.height, train_set_.width);
  if (translate > 0 && 2 * translate >= side)
    throw ConfigError("data.augment.translate: " + std::to_string(translate) + " pixels shifts " +
                      std::to_string(train_set_.height) + "x" + std::to_string(train_set_.width) +
                      " images out of view; at most " + std::to_string((side - 1) / 2) +
                      " (under half the smaller side)");
  train_loader_.set_augmentation(config.data.augmentation);  // never validation or test
}

void TrainingData::shard(std::size_t rank, std::size_t ranks) {
  train_loader_.set_shard(rank, ranks);
  validation_loader_.set_shard(rank, ranks);
  rank_ = rank;
  ranks_ = ranks;
}

nlohmann::json TrainingData::split_json() const {
  return {{"dataset", config_.data.dataset},
          {"train", split_.train},
          {"validation", split_.validation},
          {"validation_from", validation_set_.count ? "val" : "train"}};
}

std::unique_ptr<TrainingData::Test> TrainingData::load_test() const {
  auto test = std::make_unique<Test>();
  DataSource source = config_.data;
  source.standardization = standardization_;
  test->images = load_split(source, "test");
  if (test->images.sample_shape() != sample_shape_)
    throw DataError(config_.data.folder + ": test images are " +
                    to_string(test->images.sample_shape()) + ", training images " +
                    to_string(sample_shape_) + "; set data.image_size to resize both");
  test->loader = DataLoader::in_order(test->images, config_.batch_size, normalization_);
  test->loader->set_shard(rank_, ranks_);
  return test;
}

}  // namespace gradlab
