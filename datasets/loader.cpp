#include "datasets/loader.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace gradlab {

DataLoader::DataLoader(const ImageDataset& data, std::vector<std::size_t> indices,
                       std::size_t batch_size, bool shuffle, bool drop_last,
                       Normalization normalization)
    : data_(data),
      indices_(std::move(indices)),
      order_(indices_),
      batch_size_(batch_size),
      shuffle_(shuffle),
      drop_last_(drop_last),
      normalization_(normalization) {
  if (batch_size == 0) throw std::invalid_argument("DataLoader: batch_size must be >= 1");
  normalization.check(data.channels);
  for (std::size_t i : indices_)
    if (i >= data.count)
      throw std::invalid_argument("DataLoader: index " + std::to_string(i) +
                                  " is past the data set");
  // A byte has 256 values: normalise each once per channel, then convert a batch by look-up.
  lookup_.resize(256 * data.channels);
  for (std::size_t c = 0; c < data.channels; ++c)
    for (int p = 0; p < 256; ++p)
      lookup_[256 * c + p] =
          static_cast<float>((p / 255.0 - normalization.mean_of(c)) / normalization.std_of(c));
}

std::unique_ptr<DataLoader> DataLoader::in_order(const ImageDataset& data, std::size_t batch_size,
                                                 Normalization normalization) {
  std::vector<std::size_t> indices(data.count);
  std::iota(indices.begin(), indices.end(), std::size_t{0});
  return std::make_unique<DataLoader>(data, std::move(indices), batch_size, false, false,
                                      std::move(normalization));
}

void Normalization::check(std::size_t channels) const {
  if (mean.size() != std.size() || (mean.size() != 1 && mean.size() != channels))
    throw std::invalid_argument(
        "normalisation: expected one mean and std, or one of each per "
        "channel (" +
        std::to_string(channels) + "), got " + std::to_string(mean.size()) + " and " +
        std::to_string(std.size()));
  for (double s : std)
    if (!(s > 0.0)) throw std::invalid_argument("normalisation: std must be > 0");
}

void DataLoader::start_epoch(Rng& rng) {
  position_ = 0;
  if (sampler_) {
    order_.clear();
    for (std::size_t k : sampler_->sample(indices_.size(), rng)) order_.push_back(indices_.at(k));
  } else {
    order_ = indices_;
    if (shuffle_)
      for (std::size_t i = order_.size(); i-- > 1;) std::swap(order_[i], order_[rng.below(i + 1)]);
  }
  // After the order, so that runs without augmentation draw exactly what they always did.
  if (augmentation_.enabled()) augmentation_seed_ = rng.next_u64();
}

void DataLoader::set_shard(std::size_t rank, std::size_t ranks) {
  if (ranks == 0 || rank >= ranks)
    throw std::invalid_argument("DataLoader: shard " + std::to_string(rank) + " of " +
                                std::to_string(ranks));
  rank_ = rank;
  ranks_ = ranks;
}

bool DataLoader::next(Tensor<float>& images, Labels& labels) {
  const std::size_t remaining = order_.size() - position_;
  if (remaining == 0 || (drop_last_ && remaining < batch_size_)) return false;
  const std::size_t batch = std::min(batch_size_, remaining), D = data_.image_size();
  batch_labels_.resize(batch);
  for (std::size_t n = 0; n < batch; ++n) batch_labels_[n] = data_.labels[order_[position_ + n]];
  // This rank's slice [first, first + N) of the batch.
  const std::size_t first = position_ + batch * rank_ / ranks_,
                    N = position_ + batch * (rank_ + 1) / ranks_ - first;
  images.resize(batch_shape(N, data_.sample_shape()));
  labels.resize(N);
  float* x = images.data();
  if (data_.table) {  // rows are floats already (standardised by TrainingData)
    for (std::size_t n = 0; n < N; ++n) {
      const std::size_t index = order_[first + n];
      std::copy_n(data_.row(index), D, x + n * D);
      labels[n] = data_.labels[index];
    }
    position_ += batch;
    return true;
  }
  const std::size_t plane = data_.height * data_.width;
  for (std::size_t n = 0; n < N; ++n) {
    const std::size_t index = order_[first + n];
    const std::uint8_t* pixels = data_.image(index);
    if (augmentation_.enabled()) {
      augmented_.resize(D);
      Rng image_rng(derive_seed(augmentation_seed_, first + n + 1));
      augmentation_.apply(pixels, data_.channels, data_.height, data_.width, image_rng,
                          augmented_.data());
      pixels = augmented_.data();
    }
    for (std::size_t c = 0; c < data_.channels; ++c) {
      const float* table = lookup_.data() + 256 * c;
      for (std::size_t d = c * plane; d < (c + 1) * plane; ++d) x[n * D + d] = table[pixels[d]];
    }
    labels[n] = data_.labels[index];
  }
  position_ += batch;
  return true;
}

std::size_t DataLoader::batches_per_epoch() const {
  const std::size_t n = indices_.size();
  return drop_last_ ? n / batch_size_ : (n + batch_size_ - 1) / batch_size_;
}

}  // namespace gradlab
