#include "train/data_commands.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include "datasets/idx.h"
#include "datasets/image_file.h"
#include "datasets/image_folder.h"
#include "datasets/registry.h"
#include "datasets/table.h"
#include "framework/config_reader.h"
#include "framework/files.h"

namespace gradlab {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kProblemsListed = 20;

// Adds a problem, keeping the list short: the first kProblemsListed, then a count.
struct Problems {
  nlohmann::json list = nlohmann::json::array();
  std::size_t more = 0;
  void add(const std::string& text) {
    if (list.size() < kProblemsListed)
      list.push_back(text);
    else
      ++more;
  }
  nlohmann::json json() const {
    nlohmann::json out = list;
    if (more) out.push_back("... and " + std::to_string(more) + " more");
    return out;
  }
};

// Per class counts, and the ratio of the largest to the smallest (classes with none left out of
// the ratio, listed as problems by the caller).
nlohmann::json class_counts(const std::vector<std::string>& names,
                            const std::vector<std::size_t>& counts) {
  nlohmann::json per_class = nlohmann::json::object();
  std::size_t largest = 0, smallest = 0, total = 0;
  for (std::size_t c = 0; c < names.size(); ++c) {
    per_class[names[c]] = counts[c];
    total += counts[c];
    largest = std::max(largest, counts[c]);
    if (counts[c] && (!smallest || counts[c] < smallest)) smallest = counts[c];
  }
  return {{"images", total},
          {"per_class", per_class},
          {"imbalance_ratio", smallest ? static_cast<double>(largest) / smallest : 0.0}};
}

bool is_idx_folder(const fs::path& folder) {
  for (const char* name : {"train-images-idx3-ubyte", "train-images-idx3-ubyte.gz"})
    if (fs::exists(folder / name)) return true;
  return false;
}

nlohmann::json inspect_idx(const std::string& path) {
  nlohmann::json report{{"path", path},
                        {"kind", "idx"},
                        {"splits", nlohmann::json::object()},
                        {"image_sizes", nlohmann::json::object()}};
  std::size_t classes = 0;
  for (const char* split : {"train", "t10k"}) {
    const fs::path images = fs::path(path) / (std::string(split) + "-images-idx3-ubyte");
    if (!fs::exists(images) && !fs::exists(images.string() + ".gz")) continue;
    const ImageDataset data = load_idx_dataset(path, split, 256);
    for (std::int32_t label : data.labels)
      classes = std::max(classes, static_cast<std::size_t>(label) + 1);
    std::vector<std::size_t> counts(256, 0);
    for (std::int32_t label : data.labels) ++counts[static_cast<std::size_t>(label)];
    std::vector<std::string> names;
    for (std::size_t c = 0; c < classes; ++c) names.push_back(std::to_string(c));
    counts.resize(classes);
    report["splits"][split] = class_counts(names, counts);
    report["image_sizes"][std::to_string(data.height) + "x" + std::to_string(data.width)] =
        report["image_sizes"].value(std::to_string(data.height) + "x" + std::to_string(data.width),
                                    0) +
        data.count;
  }
  report["classes"] = classes;
  report["problems"] = nlohmann::json::array();
  return report;
}

// One split folder of an image folder: its class folders' images, each decoded to find what it
// is and whether it reads.
nlohmann::json inspect_split(const std::string& folder, const std::vector<std::string>& classes,
                             const std::string& split, std::map<std::string, std::size_t>& sizes,
                             std::map<std::string, std::size_t>& modes, Problems& problems) {
  std::vector<std::string> files;
  std::vector<std::size_t> counts(classes.size(), 0), file_class;
  std::size_t ignored = 0;
  std::vector<std::string> found;
  for (const fs::directory_entry& entry : fs::directory_iterator(folder))
    if (entry.is_directory() && entry.path().filename().string()[0] != '.')
      found.push_back(entry.path().filename().string());
  std::sort(found.begin(), found.end());
  for (const std::string& name : found) {
    const auto known = std::find(classes.begin(), classes.end(), name);
    if (known == classes.end()) {
      problems.add(folder + "/" + name + ": class '" + name + "' in " + split +
                   " but not in train");
      continue;
    }
    std::size_t images = 0;
    for (const fs::directory_entry& entry : fs::directory_iterator(fs::path(folder) / name)) {
      if (!entry.is_regular_file() || entry.path().filename().string()[0] == '.') continue;
      if (!is_image_file_name(entry.path().string())) {
        ++ignored;
        continue;
      }
      files.push_back(entry.path().string());
      file_class.push_back(static_cast<std::size_t>(known - classes.begin()));
      ++images;
    }
    if (!images) problems.add(folder + "/" + name + ": class folder without images");
  }
  // Decoded in parallel; what each is, or why it does not read.
  std::vector<std::string> what(files.size()), errors(files.size());
  std::vector<std::string> size(files.size());
  const auto total = static_cast<std::ptrdiff_t>(files.size());
#pragma omp parallel for schedule(dynamic, 32)
  for (std::ptrdiff_t k = 0; k < total; ++k) {
    const auto i = static_cast<std::size_t>(k);
    try {
      const std::string bytes = read_file(files[i]);
      const ImageInfo info = probe_image(bytes, files[i]);
      decode_image(bytes, files[i], 3);
      what[i] = info.format + " " + info.mode + " " + std::to_string(info.bit_depth) + "-bit";
      size[i] = std::to_string(info.height) + "x" + std::to_string(info.width);
    } catch (const std::exception& error) {
      errors[i] = error.what();
    }
  }
  std::size_t unreadable = 0;
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (!errors[i].empty()) {
      problems.add(errors[i]);
      ++unreadable;
      continue;
    }
    ++counts[file_class[i]];
    ++sizes[size[i]];
    ++modes[what[i]];
  }
  for (std::size_t c = 0; c < classes.size(); ++c)
    if (!counts[c] && split == "train")
      problems.add(folder + "/" + classes[c] + ": no readable images");
  nlohmann::json report = class_counts(classes, counts);
  report["folder"] = folder;
  report["unreadable"] = unreadable;
  report["ignored_files"] = ignored;
  return report;
}

nlohmann::json inspect_image_folder(const std::string& path) {
  const ImageFolderLayout layout = image_folder_layout(path);
  nlohmann::json report{
      {"path", path},
      {"kind", "image_folder"},
      {"layout", !layout.has_splits() ? "one folder of class folders"
                 : layout.test.empty()
                     ? (layout.validation.empty() ? "train/" : "train/, val/")
                     : (layout.validation.empty() ? "train/, test/" : "train/, val/, test/")},
      {"classes", layout.class_names},
      {"splits", nlohmann::json::object()}};
  std::map<std::string, std::size_t> sizes, modes;
  Problems problems;
  const std::vector<std::pair<std::string, std::string>> splits{
      {"train", layout.train}, {"val", layout.validation}, {"test", layout.test}};
  for (const auto& [name, folder] : splits)
    if (!folder.empty())
      report["splits"][name] =
          inspect_split(folder, layout.class_names, name, sizes, modes, problems);
  if (sizes.size() > 1)
    problems.add("images of " + std::to_string(sizes.size()) +
                 " sizes: set data.image_size to resize them to one");
  report["image_sizes"] = sizes;
  report["modes"] = modes;
  report["problems"] = problems.json();
  return report;
}

nlohmann::json inspect_table(const std::string& path, const std::string& label) {
  const TableSummary summary = summarize_table(path);
  nlohmann::json report{{"path", path}, {"kind", "csv"}, {"rows", summary.rows}};
  Problems problems;
  nlohmann::json columns = nlohmann::json::array();
  bool label_found = label.empty();
  for (const ColumnSummary& column : summary.columns) {
    nlohmann::json out{{"name", column.name},
                       {"type", column.numeric ? "numeric" : "categorical"},
                       {"missing", column.missing}};
    if (column.numeric && column.present) {
      out["min"] = column.min;
      out["max"] = column.max;
    } else if (!column.numeric) {
      out["distinct"] = column.distinct;
      out["values"] = column.values;
    }
    columns.push_back(out);
    if (column.missing)
      problems.add("column '" + column.name + "': " + std::to_string(column.missing) +
                   " missing values (data.missing: \"mean\" imputes them)");
    if (!column.numeric && column.distinct > kMaxCategories && column.name != label)
      problems.add("column '" + column.name + "': more than " + std::to_string(kMaxCategories) +
                   " distinct values, too many to one-hot encode");
    if (column.name == label) label_found = true;
  }
  report["columns"] = columns;
  if (!label_found) {
    std::vector<std::string> names;
    for (const ColumnSummary& column : summary.columns) names.push_back(column.name);
    const std::string nearest = nearest_name(label, names);
    throw ConfigError("--label: " + path + " has no column '" + label + "'" +
                      (nearest.empty() ? "" : "; did you mean '" + nearest + "'?"));
  }
  if (!label.empty()) {
    // The classes and their counts, read with the table's own reader.
    TableOptions options;
    options.label = label;
    options.impute_missing = true;
    const TableSchema schema = infer_table_schema(path, options);
    const ImageDataset table = read_table(path, schema, options);
    std::vector<std::size_t> counts(schema.class_names.size(), 0);
    for (std::int32_t c : table.labels) ++counts[static_cast<std::size_t>(c)];
    report["label"] = label;
    report["classes"] = schema.class_names;
    report["splits"] = {{"file", class_counts(schema.class_names, counts)}};
  }
  report["problems"] = problems.json();
  return report;
}

std::string class_folder_name(const std::vector<std::string>& names, std::size_t label) {
  if (names[label] == std::to_string(label)) return names[label];
  std::string name = std::to_string(label) + "_" + names[label];
  std::replace(name.begin(), name.end(), '/', '-');
  return name;
}

}  // namespace

nlohmann::json inspect_data(const std::string& path, const std::string& label) {
  if (fs::is_regular_file(path) && fs::path(path).extension() == ".csv")
    return inspect_table(path, label);
  if (!fs::is_directory(path))
    throw DataError(path + ": " + (fs::exists(path) ? "not a folder or a .csv file" : "not found") +
                    "; inspect takes an image folder, a folder of IDX files or a CSV table");
  return is_idx_folder(path) ? inspect_idx(path) : inspect_image_folder(path);
}

int data_inspect_command(const std::string& path, const std::string& label, bool json) {
  const nlohmann::json report = inspect_data(path, label);
  if (json) {
    std::cout << report.dump(2) << "\n";
    return 0;
  }
  std::printf("%s: %s", path.c_str(), report["kind"].get<std::string>().c_str());
  if (report.contains("layout")) std::printf(" (%s)", report["layout"].get<std::string>().c_str());
  if (report.contains("rows")) std::printf(", %zu rows", report["rows"].get<std::size_t>());
  if (report.contains("classes"))
    std::printf(", %zu classes", report["classes"].is_array()
                                     ? report["classes"].size()
                                     : report["classes"].get<std::size_t>());
  std::printf("\n");
  if (report.contains("columns"))
    for (const nlohmann::json& column : report["columns"]) {
      std::printf("column %-20s %-11s missing %-6zu", column["name"].get<std::string>().c_str(),
                  column["type"].get<std::string>().c_str(), column["missing"].get<std::size_t>());
      if (column.contains("min"))
        std::printf(" range [%g, %g]", column["min"].get<double>(), column["max"].get<double>());
      if (column.contains("distinct")) {
        std::string values;
        for (const auto& value : column["values"])
          values += (values.empty() ? "" : ", ") + value.get<std::string>();
        std::printf(" %zu values: %s%s", column["distinct"].get<std::size_t>(), values.c_str(),
                    column["distinct"].get<std::size_t>() > column["values"].size() ? ", ..." : "");
      }
      std::printf("\n");
    }
  for (const char* split : {"train", "val", "test", "t10k", "file"}) {
    if (!report["splits"].contains(split)) continue;
    const nlohmann::json& info = report["splits"][split];
    std::printf("%-5s %7zu %s, imbalance ratio %.2f (largest / smallest class)\n", split,
                info["images"].get<std::size_t>(), report.contains("rows") ? "rows" : "images",
                info["imbalance_ratio"].get<double>());
    std::string line;
    for (const auto& [name, count] : info["per_class"].items())
      line += "  " + name + ": " + std::to_string(count.get<std::size_t>());
    std::printf("     %s\n", line.c_str());
    if (info.value("ignored_files", 0) > 0)
      std::printf("      %zu files ignored (not .png, .jpg, .jpeg or .pgm)\n",
                  info["ignored_files"].get<std::size_t>());
  }
  if (report.contains("image_sizes"))
    for (const auto& [size, count] : report["image_sizes"].items())
      std::printf("size  %s: %zu images\n", size.c_str(), count.get<std::size_t>());
  if (report.contains("modes"))
    for (const auto& [mode, count] : report["modes"].items())
      std::printf("mode  %s: %zu images\n", mode.c_str(), count.get<std::size_t>());
  if (report["problems"].empty()) {
    std::printf("no problems found\n");
  } else {
    std::printf("problems:\n");
    for (const auto& problem : report["problems"])
      std::printf("  %s\n", problem.get<std::string>().c_str());
  }
  return 0;
}

int data_write_folder_command(const WriteFolderOptions& options) {
  if (options.format != "png" && options.format != "jpeg")
    throw ConfigError("--format: png or jpeg, not '" + options.format + "'");
  if (options.channels != 1 && options.channels != 3)
    throw ConfigError("--channels: 1 or 3, not " + std::to_string(options.channels));
  DataSource source;
  source.dataset = options.dataset;
  const DatasetSpec& spec = find_dataset(options.dataset);
  if (spec.image_folder)
    throw ConfigError("--dataset: an IDX data set (mnist, fashion_mnist, idx)");
  source.folder = options.folder.empty() ? spec.default_folder : options.folder;
  const std::vector<std::string>& names = spec.class_names;
  const std::string extension = options.format == "png" ? ".png" : ".jpg";
  for (const char* split : {"train", "test"}) {
    const ImageDataset data = load_split(source, split);
    const std::size_t count = options.limit ? std::min(options.limit, data.count) : data.count;
    // A folder for each class the split has (an empty class folder is an error to the reader).
    for (std::size_t i = 0; i < count; ++i)
      fs::create_directories(fs::path(options.out) / split /
                             class_folder_name(names, static_cast<std::size_t>(data.labels[i])));
    std::vector<std::string> errors(count);
    const auto total = static_cast<std::ptrdiff_t>(count);
#pragma omp parallel for schedule(dynamic, 64)
    for (std::ptrdiff_t k = 0; k < total; ++k) {
      const auto i = static_cast<std::size_t>(k);
      const std::size_t plane = data.height * data.width;
      Image image{options.channels, data.height, data.width, {}};
      for (std::size_t c = 0; c < options.channels; ++c)
        image.pixels.insert(image.pixels.end(), data.image(i), data.image(i) + plane);
      char name[32];
      std::snprintf(name, sizeof name, "%05zu", i);
      const fs::path path = fs::path(options.out) / split /
                            class_folder_name(names, static_cast<std::size_t>(data.labels[i])) /
                            (name + extension);
      const std::string bytes =
          options.format == "png" ? encode_png(image) : encode_jpeg(image, 95);
      std::ofstream out(path, std::ios::binary);
      out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      if (!out) errors[i] = path.string() + ": write failed";
    }
    for (const std::string& error : errors)
      if (!error.empty()) throw DataError(error);
    std::printf("%s: %zu images written to %s\n", split, count,
                (fs::path(options.out) / split).c_str());
  }
  return 0;
}

}  // namespace gradlab
