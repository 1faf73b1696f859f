// Data sets by name, listed once: what the config's data.dataset may be, and what each is — its
// classes and their names, one sample's shape, its splits, where it lives, the statistics to
// normalise it with. The trainer and the CLI ask here instead of assuming MNIST.
//
// Adding a data set of IDX files (as MNIST's) is one entry in datasets() (registry.cpp); one in
// another format is a loader beside datasets/idx.cpp plus its entry. "image_folder" reads the
// user's own images (datasets/image_folder.h): its classes and sample shape come from the folder.
#pragma once

#include <string>
#include <vector>

#include "datasets/image_dataset.h"
#include "datasets/image_folder.h"
#include "datasets/loader.h"
#include "datasets/table.h"

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
  bool image_folder = false;  // classes and shape from the folder (datasets/image_folder.h)
  bool table = false;         // a CSV table (datasets/table.h): classes and features from it
  std::size_t classes() const { return class_names.size(); }
};

// Where a run's data comes from and how it is decoded: the part of the config's data section
// (train/config.h) that loading reads.
struct DataSource {
  std::string dataset, folder;
  std::vector<std::string> class_names;  // one per class, in label order
  // Image folders: channels (1 or 3) and the size every image is resized to (0: their own).
  std::size_t channels = 1, height = 0, width = 0;
  // A folder without train/ and test/: the fraction of its images held out for test, drawn by
  // split_seed (the same on every run of the config, so that eval tests the same images).
  double test_split = 0;
  std::uint64_t split_seed = 42;
  bool skip_unreadable =
      false;          // leave unreadable images out (listed in the log) instead of failing
  bool cache = true;  // decode images once into a cache file (default_cache_folder())
  // CSV tables: the training file and an optional test file (else test_split of the training
  // file's rows), how to read them, the schema (read from the file, or given by a checkpoint's
  // config) and the training rows' standardisation (empty until the trainer computes it).
  std::string file, test_file;
  TableOptions table_options;
  bool scale_per_column = true;  // data.scaling: "per_column" statistics, or "global" ones
  TableSchema schema;
  Standardization standardization;
};

// Every data set, in the order errors list them.
const std::vector<DatasetSpec>& datasets();
std::vector<std::string> dataset_names();
// The data set of a name; throws std::invalid_argument naming the valid ones.
const DatasetSpec& find_dataset(const std::string& name);

// The class names of an image folder's training split (sorted folder names); the spec's for the
// others. Throws DataError naming the folder.
std::vector<std::string> class_names_of(const DataSource& source);

// A split of the data: "train", "validation" (a data set's own validation images: an image
// folder's val/; an empty ImageDataset when it has none, and the trainer draws them from train)
// or "test". Throws DataError naming the file at fault, or the key to set when the data has no
// test split (a folder without test/ and data.test_split, a table without data.test_file).
ImageDataset load_split(const DataSource& source, const std::string& split,
                        const LoadLog& log = {});
// One sample's C × H × W: the spec's, or from the data (an image folder's settings, else its
// first training image).
Shape sample_shape(const DataSource& source);

}  // namespace gradlab
