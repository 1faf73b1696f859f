#include "train/training_data.h"

#include <algorithm>

namespace gradlab {

namespace {
// The indices of the training split: the first data.limit images, thinned per class by
// data.keep_fraction, then shuffled and split for validation, all drawn from the seed.
Split draw_split(const ExperimentConfig& config, const ImageDataset& train_set) {
  std::vector<std::size_t> indices(config.data.limit ? std::min(config.data.limit, train_set.count)
                                                     : train_set.count);
  for (std::size_t i = 0; i < indices.size(); ++i) indices[i] = i;
  Rng data_rng(config.seed + 1);
  if (!config.data.keep_fraction.empty())
    indices = keep_per_class(indices, train_set.labels, config.data.keep_fraction, data_rng);
  Split split = split_indices(indices.size(), config.data.validation_split, data_rng);
  for (std::size_t& i : split.train) i = indices[i];
  for (std::size_t& i : split.validation) i = indices[i];
  if (split.train.empty())
    throw ConfigError(
        "data: no training images left after limit, keep_fraction and validation_split");
  return split;
}

Labels labels_of(const ImageDataset& data, const std::vector<std::size_t>& indices) {
  Labels labels;
  for (std::size_t i : indices) labels.push_back(data.labels[i]);
  return labels;
}
}  // namespace

TrainingData::TrainingData(const ExperimentConfig& config)
    : config_(config),
      dataset_(find_dataset(config.data.dataset)),
      train_set_(load_split(dataset_, config.data.folder, dataset_.train_split)),
      split_(draw_split(config, train_set_)),
      train_labels_(labels_of(train_set_, split_.train)),
      sample_shape_{train_set_.channels, train_set_.height, train_set_.width},
      train_loader_(train_set_, split_.train, config.batch_size, true, false,
                    config.data.normalization),
      // Evaluation uses the training batch size: each new batch size costs oneDNN plans and
      // buffers.
      validation_loader_(train_set_, split_.validation, config.batch_size, false, false,
                         config.data.normalization) {
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

std::unique_ptr<TrainingData::Test> TrainingData::load_test() const {
  auto test = std::make_unique<Test>();
  test->images = load_split(dataset_, config_.data.folder, dataset_.test_split);
  test->loader = DataLoader::in_order(test->images, config_.batch_size, config_.data.normalization);
  test->loader->set_shard(rank_, ranks_);
  return test;
}

}  // namespace gradlab
