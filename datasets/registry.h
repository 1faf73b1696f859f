// Data sets by name, listed once: what the config's data.dataset may be, and what each is — its
// classes and their names, one sample's shape, its splits, where it lives, the statistics to
// normalise it with. The trainer and the CLI ask here instead of assuming MNIST.
//
// Adding a data set of IDX files (as MNIST's) is one entry in datasets() (registry.cpp); one in
// another format is a loader beside datasets/idx.cpp plus its entry.
#pragma once

#include <string>
#include <vector>

#include "datasets/image_dataset.h"
#include "datasets/loader.h"

namespace gradlab {

struct DatasetSpec {
  std::string name;                      // as configs spell it: "mnist"
  std::string about;                     // one line
  std::string default_folder;            // "": the config must give data.folder
  std::vector<std::string> class_names;  // one per class, in label order
  Shape sample_shape;                    // C × H × W; empty: read from the training images
  std::string train_split, test_split;   // the files' prefixes: "train", "t10k"
  Normalization statistics;              // per-channel mean and std of its training pixels
                                         // in [0, 1] (data.normalize: "dataset")
  // Whether a mirror image keeps its class (clothes: yes; digits: no): the default of
  // data.augment.horizontal_flip.
  bool mirror_keeps_class = false;
  std::size_t classes() const { return class_names.size(); }
};

// Every data set, in the order errors list them.
const std::vector<DatasetSpec>& datasets();
std::vector<std::string> dataset_names();
// The data set of a name; throws std::invalid_argument naming the valid ones.
const DatasetSpec& find_dataset(const std::string& name);

// A split ("train", "t10k", ...) of a data set from a folder of its files. Throws DataError.
ImageDataset load_split(const DatasetSpec& spec, const std::string& folder,
                        const std::string& split);
// One sample's C × H × W: the spec's, or read from the folder's training images.
Shape sample_shape(const DatasetSpec& spec, const std::string& folder);

}  // namespace gradlab
