#include "datasets/image_dataset.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>

#include "datasets/idx.h"

namespace gradlab {

namespace {
// The plain file if it exists, else the .gz one; DataError naming both if neither does.
std::string find_file(const std::string& folder, const std::string& name) {
  const std::filesystem::path plain = std::filesystem::path(folder) / name;
  if (std::filesystem::exists(plain)) return plain.string();
  const std::filesystem::path gz = plain.string() + ".gz";
  if (std::filesystem::exists(gz)) return gz.string();
  throw DataError(
      plain.string() + ": not found (nor " + gz.filename().string() +
      "); for MNIST run "
      "scripts/fetch-mnist.sh, for Fashion-MNIST apt-get install dataset-fashion-mnist, or point "
      "data.folder at a folder of IDX files");
}
}  // namespace

ImageDataset load_idx_dataset(const std::string& folder, const std::string& split,
                              std::size_t classes) {
  const std::string images_path = find_file(folder, split + "-images-idx3-ubyte");
  const std::string labels_path = find_file(folder, split + "-labels-idx1-ubyte");
  IdxArray images = read_idx(images_path, 3);
  const IdxArray labels = read_idx(labels_path, 1);
  if (images.dims[0] != labels.dims[0]) {
    throw DataError(images_path + " has " + std::to_string(images.dims[0]) + " images but " +
                    labels_path + " has " + std::to_string(labels.dims[0]) + " labels");
  }
  ImageDataset data;
  data.count = images.dims[0];
  data.height = images.dims[1];
  data.width = images.dims[2];
  data.classes = classes;
  data.pixels = std::move(images.data);
  data.labels.resize(data.count);
  for (std::size_t i = 0; i < data.count; ++i) {
    if (labels.data[i] >= classes) {
      throw DataError(labels_path + ": label " + std::to_string(labels.data[i]) + " at index " +
                      std::to_string(i) + " is outside [0, " + std::to_string(classes) + ")");
    }
    data.labels[i] = labels.data[i];
  }
  return data;
}

ImageDataset gather(const ImageDataset& data, const std::vector<std::size_t>& indices) {
  ImageDataset out;
  out.count = indices.size();
  out.channels = data.channels;
  out.height = data.height;
  out.width = data.width;
  out.classes = data.classes;
  out.table = data.table;
  const std::size_t size = data.image_size();
  if (data.table)
    out.features.resize(out.count * size);
  else
    out.pixels.resize(out.count * size);
  for (std::size_t k = 0; k < indices.size(); ++k) {
    const std::size_t i = indices[k];
    if (i >= data.count) throw std::out_of_range("gather: index " + std::to_string(i));
    if (data.table)
      std::copy_n(data.row(i), size, out.features.data() + k * size);
    else
      std::copy_n(data.image(i), size, out.pixels.data() + k * size);
    out.labels.push_back(data.labels[i]);
    if (!data.files.empty()) out.files.push_back(data.files[i]);
  }
  return out;
}

Split split_indices(std::size_t count, double validation_fraction, Rng& rng) {
  if (!(validation_fraction >= 0.0 && validation_fraction < 1.0))
    throw std::invalid_argument("validation fraction must be in [0, 1), got " +
                                std::to_string(validation_fraction));
  std::vector<std::size_t> order(count);
  std::iota(order.begin(), order.end(), 0);
  for (std::size_t i = count; i-- > 1;) std::swap(order[i], order[rng.below(i + 1)]);
  const auto validation =
      static_cast<std::size_t>(std::llround(static_cast<double>(count) * validation_fraction));
  Split split;
  split.train.assign(order.begin(), order.end() - static_cast<std::ptrdiff_t>(validation));
  split.validation.assign(order.end() - static_cast<std::ptrdiff_t>(validation), order.end());
  return split;
}

std::vector<std::size_t> keep_per_class(const std::vector<std::size_t>& indices,
                                        const Labels& labels,
                                        const std::vector<double>& keep_fraction, Rng& rng) {
  std::vector<std::size_t> kept;
  for (std::size_t index : indices) {
    const auto c = static_cast<std::size_t>(labels.at(index));
    if (c >= keep_fraction.size())
      throw std::invalid_argument("keep_per_class: no fraction given for class " +
                                  std::to_string(c));
    if (rng.bernoulli(keep_fraction[c])) kept.push_back(index);
  }
  return kept;
}

}  // namespace gradlab
