// Mini-batches of float images from a byte data set: x = (p / 255 − mean_c) / std_c for a pixel
// p of channel c, N × C × H × W.
// Each epoch visits the given indices in a fresh order from the epoch's Rng (or, with a
// sampler, draws as many indices with replacement); the last batch may be partial.
#pragma once

#include <memory>
#include <vector>

#include "datasets/augmentation.h"
#include "datasets/image_dataset.h"
#include "datasets/weighted_sampler.h"

namespace gradlab {

// Of the pixels scaled to [0, 1]: one mean and std for every channel, or one per channel.
struct Normalization {
  std::vector<double> mean{0.0}, std{1.0};
  // Channel c's mean and std; throws std::invalid_argument unless there is one of each, or one
  // per channel of `channels`, and every std is > 0.
  double mean_of(std::size_t c) const { return mean.size() == 1 ? mean[0] : mean.at(c); }
  double std_of(std::size_t c) const { return std.size() == 1 ? std[0] : std.at(c); }
  void check(std::size_t channels) const;
};

class DataLoader {
 public:
  // data must outlive the loader. drop_last: skip a final partial batch.
  DataLoader(const ImageDataset& data, std::vector<std::size_t> indices, std::size_t batch_size,
             bool shuffle, bool drop_last, Normalization normalization);
  // An evaluation's loader: every image of data in index order, unshuffled, unaugmented, the
  // last partial batch kept.
  static std::unique_ptr<DataLoader> in_order(const ImageDataset& data, std::size_t batch_size,
                                              Normalization normalization);

  // Oversampling: each epoch draws indices().size() samples from the sampler instead of shuffling.
  // The sampler's weights are per position in indices().
  void set_sampler(const WeightedSampler* sampler) { sampler_ = sampler; }
  // Augments every image it loads (datasets/augmentation.h); for training loaders only.
  void set_augmentation(const Augmentation& augmentation) { augmentation_ = augmentation; }

  // Data-parallel training (framework/distributed/data_parallel.h): each batch of batch_size
  // images (the global batch, drawn alike on every rank) is cut into `ranks` contiguous slices
  // whose sizes differ by at most one, and next() returns slice `rank` — empty when the batch
  // has fewer images than there are ranks. Over an epoch the ranks see every image once.
  void set_shard(std::size_t rank, std::size_t ranks);
  // The labels of the whole batch that next() last returned a slice of.
  const Labels& batch_labels() const { return batch_labels_; }

  // Starts an epoch; rng decides the order (unused without shuffle or sampler) and then seeds the
  // epoch's augmentation.
  void start_epoch(Rng& rng);
  // The next batch into images / labels (resized as needed); false when the epoch is over.
  bool next(Tensor<float>& images, Labels& labels);

  std::size_t batches_per_epoch() const;
  const std::vector<std::size_t>& indices() const { return indices_; }
  std::size_t batch_size() const { return batch_size_; }

 private:
  const ImageDataset& data_;
  std::vector<std::size_t> indices_, order_;
  std::size_t batch_size_, position_ = 0;
  bool shuffle_, drop_last_;
  Normalization normalization_;
  const WeightedSampler* sampler_ = nullptr;
  std::vector<float> lookup_;  // per channel, the 256 possible normalised pixel values
  std::size_t rank_ = 0, ranks_ = 1;
  Labels batch_labels_;
  Augmentation augmentation_;
  // Each image's draws come from an Rng of its own, seeded from the epoch's seed and the image's
  // position in the epoch: the same whichever rank loads it.
  std::uint64_t augmentation_seed_ = 0;
  std::vector<std::uint8_t> augmented_;  // one image's bytes after augmentation
};

}  // namespace gradlab
