// Mini-batches of float images from a byte data set: x = (p / 255 − mean) / std, N × C × H × W.
// Each epoch visits the given indices in a fresh order from the epoch's Rng (or, with a
// sampler, draws as many indices with replacement); the last batch may be partial.
#pragma once

#include <vector>

#include "datasets/image_dataset.h"
#include "datasets/weighted_sampler.h"

namespace gradlab {

struct Normalization {
  double mean = 0.0, std = 1.0;  // of the pixels scaled to [0, 1]
};

class DataLoader {
 public:
  // data must outlive the loader. drop_last: skip a final partial batch.
  DataLoader(const ImageDataset& data, std::vector<std::size_t> indices, std::size_t batch_size,
             bool shuffle, bool drop_last, Normalization normalization);

  // Oversampling: each epoch draws indices().size() samples from the sampler instead of shuffling.
  // The sampler's weights are per position in indices().
  void set_sampler(const WeightedSampler* sampler) { sampler_ = sampler; }

  // Starts an epoch; rng decides the order (unused without shuffle or sampler).
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
  std::vector<float> lookup_;  // the 256 possible normalised pixel values
};

}  // namespace gradlab
