// The data of a run: the training split in memory as bytes, divided by the seed into training and
// validation indices (after data.limit and data.keep_fraction) — or, for an image folder with a
// val/ folder, all of it for training and val/ for validation — and loaders over them; the test
// split when it is asked for.
#pragma once

#include <memory>

#include "datasets/loader.h"
#include "datasets/registry.h"
#include "datasets/weighted_sampler.h"
#include "train/config.h"

namespace gradlab {

class TrainingData {
 public:
  // Throws DataError for unreadable files, ConfigError when no training image is left. `log`
  // hears what loading does (an image folder's cache, its decoding's progress).
  explicit TrainingData(const ExperimentConfig& config, const LoadLog& log = {});
  TrainingData(const TrainingData&) = delete;  // the loaders refer to the images
  TrainingData& operator=(const TrainingData&) = delete;

  const DatasetSpec& dataset() const { return dataset_; }
  std::size_t classes() const { return config_.data.class_names.size(); }
  const Shape& sample_shape() const { return sample_shape_; }  // C × H × W
  const Labels& train_labels() const { return train_labels_; }
  // The normalisation the loaders apply: the config's, or (data.normalize "dataset" of an image
  // folder) the training images' per-channel mean and std.
  const Normalization& normalization() const { return normalization_; }
  // A table's standardisation: the config's, or the training rows' statistics (empty for images).
  const Standardization& standardization() const { return standardization_; }
  std::size_t train_count() const { return split_.train.size(); }
  std::size_t validation_count() const { return split_.validation.size(); }
  // The split as indices (0-based, in file order) into the data set's training images — an image
  // folder's in the order of its sorted file list, a table's rows — or, where the data set has
  // its own validation split (an image folder's val/), into that:
  //   {"dataset", "train": [...], "validation": [...], "validation_from": "train" | "val"}
  nlohmann::json split_json() const;

  // Data-parallel training: every loader, the test split's included, gives this rank its slice
  // of each batch (DataLoader::set_shard).
  void shard(std::size_t rank, std::size_t ranks);

  DataLoader& train() { return train_loader_; }  // shuffled, or oversampled (data.oversample)
  std::size_t steps_per_epoch() const { return train_loader_.batches_per_epoch(); }
  DataLoader& validation() { return validation_loader_; }

  // The test split, loaded now (throws DataError if the folder has none), and its loader.
  struct Test {
    ImageDataset images;
    std::unique_ptr<DataLoader> loader;
  };
  std::unique_ptr<Test> load_test() const;

 private:
  const ExperimentConfig& config_;
  const DatasetSpec& dataset_;
  ImageDataset train_set_;
  ImageDataset validation_set_;  // the data set's own validation split, if it has one
  Split split_;
  Labels train_labels_;
  Shape sample_shape_;
  Normalization normalization_;
  Standardization standardization_;
  DataLoader train_loader_, validation_loader_;
  std::unique_ptr<WeightedSampler> sampler_;
  std::size_t rank_ = 0, ranks_ = 1;
};

}  // namespace gradlab
