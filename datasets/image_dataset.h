// A classification data set: images kept as bytes (60,000 MNIST images are 47 MB this way and
// four times that as floats, so images are converted per batch by the DataLoader), or the rows of
// a table (datasets/table.h) as floats.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "framework/random.h"
#include "framework/tensor.h"

namespace gradlab {

struct ImageDataset {
  std::size_t count = 0, channels = 1, height = 0, width = 0, classes = 0;
  // count × channels × height × width, row-major: in `pixels`, or in a memory-mapped file (an
  // image folder's cache) that `mapping` keeps open and `mapped` points into.
  std::vector<std::uint8_t> pixels;
  std::shared_ptr<const void> mapping;
  const std::uint8_t* mapped = nullptr;
  Labels labels;  // count values in [0, classes)
  // Where each image came from, relative to the data set's folder (image folders); else empty.
  std::vector<std::string> files;
  // A table: count × width floats, one row per sample (channels and height are 1), no pixels.
  bool table = false;
  std::vector<float> features;

  std::size_t image_size() const { return channels * height * width; }
  // One sample's shape: C × H × W, or a table row's [width].
  Shape sample_shape() const { return table ? Shape{width} : Shape{channels, height, width}; }
  const float* row(std::size_t index) const { return features.data() + index * width; }
  const std::uint8_t* image(std::size_t index) const {
    return (mapped ? mapped : pixels.data()) + index * image_size();
  }
};

// What samples of this shape are called in logs: "rows" of a table ([F]), else "images".
inline const char* samples_name(const Shape& sample) {
  return sample.size() == 1 ? "rows" : "images";
}

// The images of `data` at `indices`, in that order, copied (with their files, if known).
ImageDataset gather(const ImageDataset& data, const std::vector<std::size_t>& indices);

// Reads <folder>/<split>-images-idx3-ubyte and <split>-labels-idx1-ubyte, each optionally with
// .gz (as Debian's Fashion-MNIST ships them); split is "train" or "t10k". Checks that the two
// files agree on the count and that every label is in [0, classes). Throws DataError.
ImageDataset load_idx_dataset(const std::string& folder, const std::string& split,
                              std::size_t classes = 10);

// Indices [0, count) shuffled by rng, then split: the last round(count · fraction) go to
// validation.
struct Split {
  std::vector<std::size_t> train, validation;
};
Split split_indices(std::size_t count, double validation_fraction, Rng& rng);

// Keeps each index whose class c passes a Bernoulli(keep_fraction[c]) draw from rng: for
// making an imbalanced subset ("all of digits 0–4, 2% of 5–9").
std::vector<std::size_t> keep_per_class(const std::vector<std::size_t>& indices,
                                        const Labels& labels,
                                        const std::vector<double>& keep_fraction, Rng& rng);

}  // namespace gradlab
