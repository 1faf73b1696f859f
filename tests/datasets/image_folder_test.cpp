// Image folders: their layout, the images listed and decoded, the cache (used, noticed stale,
// never trusted when broken), bad folders and files, and training on one end to end.
#include "datasets/image_folder.h"

#include <cstdlib>
#include <filesystem>
#include <set>
#include <sstream>

#include "datasets/idx.h"
#include "datasets/registry.h"
#include "tests/support.h"
#include "tests/synthetic_images.h"
#include "train/config.h"
#include "train/trainer.h"
#include "train/training_data.h"

namespace gradlab::testing {
namespace {

namespace fs = std::filesystem;

// Loads with a log that keeps its notes.
struct Loaded {
  ImageDataset data;
  std::vector<std::string> notes;
};
Loaded load(const ImageList& list, std::size_t classes, const ImageDecoding& decoding) {
  Loaded loaded;
  LoadLog log;
  log.note = [&](const std::string& text) { loaded.notes.push_back(text); };
  loaded.data = load_images(list, classes, decoding, log);
  return loaded;
}

std::vector<std::uint8_t> pixels_of(const ImageDataset& data) {
  return {data.image(0), data.image(0) + data.count * data.image_size()};
}

TEST_CASE("An image folder's classes are its sorted sub-folders; its files sorted per class",
          "[data][image_folder]") {
  const fs::path root = temp_folder("folder_layout");
  Rng rng(3);
  write_image_split(root, 3, 2, 1, 8, rng);
  write_bytes(root / "class1" / "notes.txt", "not an image");  // ignored, counted
  write_bytes(root / "class1" / ".hidden.png", "ignored");     // hidden: ignored
  fs::create_directories(root / ".git");                       // hidden folder: not a class
  const ImageFolderLayout layout = image_folder_layout(root.string());
  CHECK(!layout.has_splits());
  CHECK(layout.class_names == std::vector<std::string>{"class0", "class1", "class2"});
  const ImageList list = list_images(layout.train, layout.class_names);
  CHECK(list.files == std::vector<std::string>{"class0/img0.png", "class0/img1.png",
                                               "class1/img0.png", "class1/img1.png",
                                               "class2/img0.png", "class2/img1.png"});
  CHECK(list.labels == std::vector<std::int32_t>{0, 0, 1, 1, 2, 2});
  CHECK(list.ignored == 1);

  // With splits: train/ decides the classes; val/ may lack one, but not add one.
  const fs::path split_root = temp_folder("folder_splits");
  write_image_split(split_root / "train", 2, 2, 1, 8, rng);
  write_image_split(split_root / "val", 1, 1, 1, 8, rng);
  write_image_split(split_root / "test", 3, 1, 1, 8, rng);
  const ImageFolderLayout splits = image_folder_layout(split_root.string());
  CHECK(splits.has_splits());
  CHECK(splits.validation == (split_root / "val").string());
  CHECK(list_images(splits.validation, splits.class_names).files.size() == 1);
  CHECK_THROWS_WITH(list_images(splits.test, splits.class_names),
                    (split_root / "test" / "class2").string() +
                        ": class 'class2' is not among the training classes (2 found in the "
                        "training folder)");
}

TEST_CASE("Bad image folders are refused naming the folder", "[data][image_folder][errors]") {
  const fs::path root = temp_folder("folder_bad");
  CHECK_THROWS_WITH(image_folder_layout((root / "missing").string()),
                    Catch::StartsWith((root / "missing").string() + ": not found"));
  CHECK_THROWS_WITH(
      image_folder_layout(root.string()),
      root.string() + ": no class folders (expected " + root.string() + "/<class>/<image>)");
  Rng rng(4);
  write_image_split(root, 2, 1, 1, 8, rng);
  fs::create_directories(root / "empty");
  CHECK_THROWS_WITH(
      list_images(root.string(), image_folder_layout(root.string()).class_names),
      (root / "empty").string() + ": class folder without images (.png, .jpg, .jpeg, .pgm)");
}

TEST_CASE("Images are decoded once into a cache that later loads map, and a change is noticed",
          "[data][image_folder][cache]") {
  const fs::path root = temp_folder("folder_cache"), cache = temp_folder("folder_cache_files");
  Rng rng(5);
  write_image_split(root, 2, 3, 3, 10, rng);
  const ImageList list = list_images(root.string(), {"class0", "class1"});
  ImageDecoding decoding;
  decoding.channels = 3;
  decoding.cache_folder = cache.string();
  const Loaded first = load(list, 2, decoding);
  REQUIRE(first.data.count == 6);
  CHECK(first.data.mapped == nullptr);  // decoded now
  CHECK(first.notes.at(0).find("(cache none yet)") != std::string::npos);
  // Decoded as the reader decodes each file, in list order.
  CHECK(std::vector<std::uint8_t>(first.data.image(4), first.data.image(5)) ==
        read_image((root / "class1" / "img1.png").string(), 3).pixels);
  CHECK(first.data.labels == Labels{0, 0, 0, 1, 1, 1});

  const Loaded second = load(list, 2, decoding);
  CHECK(second.data.mapped != nullptr);  // from the cache file
  CHECK(second.notes.at(0).find("6 images from the cache") != std::string::npos);
  CHECK(pixels_of(second.data) == pixels_of(first.data));
  CHECK(second.data.labels == first.data.labels);
  CHECK(second.data.files == first.data.files);

  // A file rewritten with other pixels (its size and time change): rebuilt, with them.
  Rng other(99);
  const Image replacement = synthetic_image(1, 3, 10, 10, other);
  write_bytes(root / "class1" / "img1.png", encode_png(replacement) + std::string(7, '\0'));
  const Loaded changed = load(list, 2, decoding);
  CHECK(changed.notes.at(0).find("the files or settings changed") != std::string::npos);
  CHECK(std::vector<std::uint8_t>(changed.data.image(4), changed.data.image(5)) ==
        replacement.pixels);

  // Other settings are another cache: grey images beside the colour ones.
  decoding.channels = 1;
  CHECK(load(list, 2, decoding).data.channels == 1);
  decoding.channels = 3;
  CHECK(load(list, 2, decoding).data.mapped != nullptr);

  // A cache cut short, or overwritten with garbage, is rebuilt, never read.
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(cache)) files.push_back(entry.path());
  REQUIRE(files.size() == 2);
  for (const fs::path& file : files) fs::resize_file(file, fs::file_size(file) - 1);
  const Loaded truncated = load(list, 2, decoding);
  CHECK(truncated.notes.at(0).find("(cache truncated or inconsistent)") != std::string::npos);
  CHECK(pixels_of(truncated.data) == pixels_of(changed.data));
  for (const fs::path& file : files) write_bytes(file, "GRADLAB-IMAGES");
  CHECK(load(list, 2, decoding).notes.at(0).find("(cache not a gradlab image cache)") !=
        std::string::npos);
}

TEST_CASE("Unreadable and odd-sized images: refused naming the file, or skipped when asked",
          "[data][image_folder][errors]") {
  const fs::path root = temp_folder("folder_broken");
  Rng rng(6);
  write_image_split(root, 2, 2, 1, 8, rng);
  write_bytes(root / "class0" / "zz_broken.png", "\x89PNG\r\n\x1a\n garbage");
  const ImageList list = list_images(root.string(), {"class0", "class1"});
  ImageDecoding decoding;  // no cache
  CHECK_THROWS_WITH(
      load_images(list, 2, decoding),
      Catch::StartsWith((root / "class0" / "zz_broken.png").string() + ": not a readable PNG") &&
          Catch::EndsWith("; data.skip_unreadable: true leaves them out"));
  decoding.skip_unreadable = true;
  const Loaded skipped = load(list, 2, decoding);
  CHECK(skipped.data.count == 4);
  CHECK(skipped.data.labels == Labels{0, 0, 1, 1});
  REQUIRE(skipped.notes.size() == 2);
  CHECK(skipped.notes[0] == root.string() + ": skipped 1 unreadable images:");

  // Images of two sizes: refused unless resized to one.
  fs::remove(root / "class0" / "zz_broken.png");
  write_bytes(root / "class1" / "big.png", encode_png(synthetic_image(1, 1, 12, 16, rng)));
  const ImageList mixed = list_images(root.string(), {"class0", "class1"});
  decoding.skip_unreadable = false;
  CHECK_THROWS_WITH(load_images(mixed, 2, decoding),
                    Catch::StartsWith((root / "class1" / "big.png").string() +
                                      ": image is 12x16 but class0/img0.png is 8x8; set "
                                      "data.image_size to resize them all to one size"));
  decoding.height = decoding.width = 6;
  const ImageDataset resized = load_images(mixed, 2, decoding);
  CHECK(resized.count == 5);
  CHECK(resized.height == 6);
  CHECK(std::vector<std::uint8_t>(resized.image(2), resized.image(3)) ==
        resize_image(read_image((root / "class1" / "big.png").string(), 1), 6, 6).pixels);
}

TEST_CASE("Training on a colour image folder: classes from folders, statistics from its images",
          "[data][image_folder][trainer]") {
  const fs::path root = temp_folder("folder_train"), run = temp_folder("folder_train_run");
  setenv("GRADLAB_CACHE_DIR", temp_folder("folder_train_cache").c_str(), 1);
  Rng rng(7);
  write_image_split(root / "train", 3, 40, 3, 12, rng);
  write_image_split(root / "val", 3, 6, 3, 12, rng, /*jpeg=*/true);
  write_image_split(root / "test", 3, 10, 3, 12, rng);
  nlohmann::json config = nlohmann::json::parse(R"({
    "seed": 3,
    "data": {"dataset": "image_folder", "channels": 3, "normalize": "dataset"},
    "model": {"layers": [{"type": "conv2d", "out_channels": 4, "kernel_size": 3}, {"type": "relu"},
                         {"type": "flatten"}, {"type": "linear", "out_features": 3}]},
    "optimizer": {"type": "adam", "lr": 0.01},
    "epochs": 4, "batch_size": 16
  })");
  config["data"]["folder"] = root.string();
  config["output"] = run.string();
  const ExperimentConfig experiment = parse_experiment(config, "folder");
  CHECK(experiment.data.class_names == std::vector<std::string>{"class0", "class1", "class2"});
  std::ostringstream log;
  const TrainResult result = train_experiment(experiment, {}, log);
  CHECK_THAT(log.str(), Catch::Contains("120 training / 18 validation images"));
  CHECK(result.final_metrics.at("test").at("accuracy").get<double>() > 0.9);
  // The per-channel statistics of the 120 training images, in the run's config.
  const nlohmann::json written = load_json_file((run / "config.json").string());
  const nlohmann::json mean = written["data"]["normalize"]["mean"];
  REQUIRE(mean.size() == 3);
  double sum = 0;
  std::size_t count = 0;
  for (const auto& entry : fs::recursive_directory_iterator(root / "train"))
    if (entry.is_regular_file()) {
      const Image image = read_image(entry.path().string(), 3);
      for (std::size_t i = 0; i < 144; ++i) sum += image.pixels[144 + i] / 255.0;  // green
      count += 144;
    }
  CHECK(mean[1].get<double>() == Approx(sum / count).epsilon(1e-9));
  CHECK(written["data"]["class_names"] == nlohmann::json(experiment.data.class_names));

  // data.limit of a folder listed class by class: images of every class, not the first ones.
  nlohmann::json limited = config;
  limited["data"]["limit"] = 30;
  limited["output"] = temp_folder("folder_train_limit").string();
  const ExperimentConfig small = parse_experiment(limited, "limited");
  const TrainingData data(small);
  CHECK(data.train_count() + data.validation_count() == 30 + 18);  // val/ is the 18 validation
  std::set<std::int32_t> classes(data.train_labels().begin(), data.train_labels().end());
  CHECK(classes.size() == 3);
}

}  // namespace
}  // namespace gradlab::testing
