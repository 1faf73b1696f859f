// gradlab data: inspect's report of an image folder (counts, imbalance, sizes, modes, problems)
// and write-folder's image folder of an IDX data set, read back image for image.
#include "train/data_commands.h"

#include <filesystem>

#include "datasets/image_folder.h"
#include "datasets/registry.h"
#include "tests/support.h"
#include "tests/synthetic_data.h"
#include "tests/synthetic_images.h"

namespace gradlab::testing {
namespace {

namespace fs = std::filesystem;

TEST_CASE("data inspect: counts per class and split, imbalance, sizes, modes and problems",
          "[data][inspect]") {
  const fs::path root = temp_folder("inspect");
  Rng rng(8);
  // train: "cat" 6 grey PNGs, "dog" 2 colour JPEGs (an imbalance of 3); test: one of each and a
  // class that train lacks, a truncated file and a text file.
  for (int i = 0; i < 6; ++i)
    write_bytes(root / "train" / "cat" / ("c" + std::to_string(i) + ".png"),
                encode_png(synthetic_image(0, 1, 8, 8, rng)));
  for (int i = 0; i < 2; ++i)
    write_bytes(root / "train" / "dog" / ("d" + std::to_string(i) + ".jpg"),
                encode_jpeg(synthetic_image(1, 3, 8, 8, rng)));
  write_bytes(root / "test" / "cat" / "c.png", encode_png(synthetic_image(0, 1, 10, 10, rng)));
  const std::string jpeg = encode_jpeg(synthetic_image(1, 3, 64, 64, rng));
  write_bytes(root / "test" / "dog" / "cut.jpg", jpeg.substr(0, jpeg.size() / 2));
  write_bytes(root / "test" / "dog" / "readme.txt", "hello");
  write_bytes(root / "test" / "bird" / "b.png", encode_png(synthetic_image(0, 1, 8, 8, rng)));

  const nlohmann::json report = inspect_data(root.string());
  CHECK(report["kind"] == "image_folder");
  CHECK(report["layout"] == "train/, test/");
  CHECK(report["classes"] == nlohmann::json({"cat", "dog"}));
  const nlohmann::json& train = report["splits"]["train"];
  CHECK(train["images"] == 8);
  CHECK(train["per_class"] == nlohmann::json({{"cat", 6}, {"dog", 2}}));
  CHECK(train["imbalance_ratio"].get<double>() == 3.0);
  const nlohmann::json& test = report["splits"]["test"];
  CHECK(test["images"] == 1);
  CHECK(test["unreadable"] == 1);
  CHECK(test["ignored_files"] == 1);
  CHECK(report["image_sizes"] == nlohmann::json({{"10x10", 1}, {"8x8", 8}}));
  CHECK(report["modes"] == nlohmann::json({{"JPEG RGB 8-bit", 2}, {"PNG grey 8-bit", 7}}));
  const std::string problems = report["problems"].dump();
  CHECK_THAT(problems, Catch::Contains("test/bird: class 'bird' in test but not in train"));
  CHECK_THAT(problems, Catch::Contains("cut.jpg: JPEG decode failed"));
  CHECK_THAT(problems, Catch::Contains("images of 2 sizes: set data.image_size"));
  CHECK_THROWS_WITH(inspect_data((root / "nope").string()),
                    Catch::StartsWith((root / "nope").string() + ": not found"));
}

TEST_CASE("data inspect of a CSV table: columns, missing values, classes and imbalance",
          "[data][inspect]") {
  const fs::path path = temp_folder("inspect_csv") / "t.csv";
  write_bytes(path, "age,city,label\n30,Oslo,no\n,Rome,no\n41,Oslo,yes\n25,Lima,no\n");
  const nlohmann::json report = inspect_data(path.string(), "label");
  CHECK(report["rows"] == 4);
  CHECK(report["columns"][0] ==
        nlohmann::json(
            {{"name", "age"}, {"type", "numeric"}, {"missing", 1}, {"min", 25.0}, {"max", 41.0}}));
  CHECK(report["columns"][1]["values"] == nlohmann::json({"Lima", "Oslo", "Rome"}));
  CHECK(report["splits"]["file"]["per_class"] == nlohmann::json({{"no", 3}, {"yes", 1}}));
  CHECK(report["splits"]["file"]["imbalance_ratio"].get<double>() == 3.0);
  CHECK_THAT(report["problems"].dump(), Catch::Contains("column 'age': 1 missing values"));
  CHECK_THROWS_WITH(inspect_data(path.string(), "lable"),
                    Catch::EndsWith("has no column 'lable'; did you mean 'label'?"));
}

TEST_CASE("data write-folder: an IDX data set as an image folder that reads back the same",
          "[data][inspect]") {
  const std::string idx = make_synthetic_dataset("write_folder", 50, 20);
  const fs::path out = temp_folder("write_folder_out");
  WriteFolderOptions options;
  options.dataset = "idx";
  options.folder = idx;
  options.out = out.string();
  CHECK(data_write_folder_command(options) == 0);
  DataSource idx_source, folder_source;
  idx_source.dataset = "idx";
  idx_source.folder = idx;
  folder_source.dataset = "image_folder";
  folder_source.folder = out.string();
  folder_source.cache = false;
  // Class folders are the digits; each image lands in its class's folder, named by its index.
  CHECK(class_names_of(folder_source) == find_dataset("idx").class_names);
  for (const char* split : {"train", "test"}) {
    const ImageDataset original = load_split(idx_source, split),
                       written = load_split(folder_source, split);
    REQUIRE(written.count == original.count);
    for (std::size_t k = 0; k < written.count; ++k) {
      const std::size_t index = std::stoul(fs::path(written.files[k]).stem().string());
      CHECK(written.labels[k] == original.labels[index]);
      CHECK(std::equal(written.image(k), written.image(k) + 784, original.image(index)));
    }
  }
}

}  // namespace
}  // namespace gradlab::testing
