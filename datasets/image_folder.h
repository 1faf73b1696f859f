// Image folders, as torchvision's ImageFolder: root/<class>/<image>, the classes being the folder
// names, sorted. Either the root holds the splits, root/train and optionally root/val and
// root/test (each with class folders), or the root's own class folders are the whole data set
// (the registry then draws a test split from it by the seed).
//
// Images are PNG, JPEG or PGM (datasets/image_file.h), found by extension (.png, .jpg, .jpeg,
// .pgm, any case); other files and anything whose name starts with '.' are ignored, as
// torchvision ignores them. Every image is decoded once, in parallel, into a cache file
// (see load_images); later loads memory-map it.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "datasets/image_dataset.h"

namespace gradlab {

// Whether a file name has an image extension gradlab reads: .png, .jpg, .jpeg, .pgm (any case).
bool is_image_file_name(const std::string& name);

struct ImageFolderLayout {
  std::string root;
  std::vector<std::string> class_names;  // the training split's class folders, sorted
  // The split folders: train is the root itself when there is no root/train; validation and
  // test are "" when absent.
  std::string train, validation, test;
  bool has_splits() const { return train != root; }
};

// Throws DataError naming the folder: missing, not a folder, no class folders, an empty class
// folder is reported by list_images.
ImageFolderLayout image_folder_layout(const std::string& root);

struct ImageList {
  std::string folder;                // the split folder
  std::vector<std::string> files;    // relative to folder: "<class>/<name>", sorted per class
  std::vector<std::int32_t> labels;  // the index of each file's class in class_names
  std::size_t ignored = 0;           // files of other extensions
};

// Every image of a split folder whose class folders must all be among class_names (a class in
// val or test but not in train is an error naming it); a class folder without images is an error.
ImageList list_images(const std::string& folder, const std::vector<std::string>& class_names);

struct ImageDecoding {
  std::size_t channels = 1;           // 1 or 3 (datasets/image_file.h converts)
  std::size_t height = 0, width = 0;  // resize to this (0: every image must have one size)
  bool skip_unreadable = false;       // leave unreadable images out (listed) instead of failing
  std::string cache_folder;           // "": no cache
};

// What loading says while it works: notes for the log (cache used or rebuilt, images skipped) and
// the decoding's progress (images done of total), both optional.
struct LoadLog {
  std::function<void(const std::string&)> note;
  std::function<void(std::size_t done, std::size_t total)> progress;
};

// The images of a list, decoded as asked. With a cache folder: read from the cache file if it
// was written for exactly these files (paths, sizes, modification times) and settings, else
// decoded in parallel (OpenMP) and written there atomically. A cache that is truncated, corrupt
// or from another version is rebuilt, never trusted. Throws DataError naming the first file that
// failed (and how many others did) unless skip_unreadable.
ImageDataset load_images(const ImageList& list, std::size_t classes, const ImageDecoding& decoding,
                         const LoadLog& log = {});

// Where load_images keeps the cache of a list decoded with these settings (one file per split
// folder and settings).
std::string image_cache_path(const ImageList& list, const ImageDecoding& decoding);

// The default cache folder: $GRADLAB_CACHE_DIR, else $XDG_CACHE_HOME/gradlab, else
// $HOME/.cache/gradlab; "" when none is set.
std::string default_cache_folder();

}  // namespace gradlab
