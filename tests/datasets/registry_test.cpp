#include "datasets/registry.h"

#include <filesystem>

#include "datasets/idx.h"
#include "tests/support.h"

using namespace gradlab;
using gradlab::testing::temp_folder;

TEST_CASE("The data set registry knows each data set's classes, names, shape and splits",
          "[datasets]") {
  CHECK(dataset_names() ==
        std::vector<std::string>{"mnist", "fashion_mnist", "idx", "image_folder", "csv"});
  const DatasetSpec& fashion = find_dataset("fashion_mnist");
  CHECK(fashion.classes() == 10);
  CHECK(fashion.class_names[9] == "Ankle boot");
  CHECK(fashion.sample_shape == Shape{1, 28, 28});
  CHECK(fashion.test_split == "t10k");
  CHECK(find_dataset("mnist").class_names[7] == "7");
  CHECK_THROWS_WITH(
      find_dataset("cifar"),
      "unknown data set 'cifar' (valid: mnist, fashion_mnist, idx, image_folder, csv)");
}

TEST_CASE("A folder of IDX files takes its sample shape from its training images", "[datasets]") {
  const std::filesystem::path folder = temp_folder("registry_idx");
  const std::vector<std::uint8_t> pixels(3 * 5 * 7, 9), labels{0, 4, 9};
  write_idx((folder / "train-images-idx3-ubyte").string(), {3, 5, 7}, pixels);
  write_idx((folder / "train-labels-idx1-ubyte").string(), {3}, labels);
  DataSource idx;
  idx.dataset = "idx";
  idx.folder = folder.string();
  CHECK(sample_shape(idx) == Shape{1, 5, 7});
  const ImageDataset train = load_split(idx, "train");
  CHECK(train.count == 3);
  CHECK(train.labels == Labels{0, 4, 9});
}
