#include "datasets/image_folder.h"

#include <fcntl.h>
#include <omp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "datasets/idx.h"
#include "datasets/image_file.h"

namespace gradlab {

namespace fs = std::filesystem;

namespace {

bool hidden(const fs::path& path) {
  return path.filename().string().rfind('.', 0) == 0;
}

// The sub-folders of a folder, sorted by name, hidden ones left out.
std::vector<std::string> sub_folders(const fs::path& folder) {
  std::vector<std::string> names;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(folder, error))
    if (entry.is_directory() && !hidden(entry.path()))
      names.push_back(entry.path().filename().string());
  if (error) throw DataError(folder.string() + ": cannot list: " + error.message());
  std::sort(names.begin(), names.end());
  return names;
}

// --- the cache file -------------------------------------------------------------------------
// "GRADLAB-IMAGES\0\0", a little-endian u64 header length, the JSON header (format version,
// fingerprint, count and shape, class count, files, skipped files), zero padding to a multiple
// of 64, count little-endian int32 labels, padding to 64 again, then the pixels.

constexpr char kMagic[16] = "GRADLAB-IMAGES\0";
constexpr int kCacheVersion = 1;
constexpr std::size_t kAlign = 64;

std::size_t aligned(std::size_t offset) {
  return (offset + kAlign - 1) / kAlign * kAlign;
}

// FNV-1a, 64 bits: a fingerprint of the file list and settings (not a defence against forgery:
// a cache is the user's own file).
struct Fingerprint {
  std::uint64_t hash = 14695981039346656037ull;
  void add(const void* data, std::size_t size) {
    const auto* bytes = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < size; ++i) hash = (hash ^ bytes[i]) * 1099511628211ull;
  }
  void add(const std::string& text) { add(text.data(), text.size() + 1); }  // with its '\0'
  void add(std::uint64_t value) { add(&value, sizeof value); }
  std::string hex() const {
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
    return text;
  }
};

// The settings and every file's path, size and modification time: what the cache's pixels
// depend on.
std::string fingerprint(const ImageList& list, std::size_t classes, const ImageDecoding& decoding) {
  Fingerprint print;
  print.add(std::uint64_t{kCacheVersion});
  print.add(decoding.channels);
  print.add(decoding.height);
  print.add(decoding.width);
  print.add(std::uint64_t{decoding.skip_unreadable});
  print.add(classes);
  for (std::size_t i = 0; i < list.files.size(); ++i) {
    struct stat status {};
    const std::string path = list.folder + "/" + list.files[i];
    if (::stat(path.c_str(), &status) != 0) throw DataError(path + ": cannot read: vanished");
    print.add(list.files[i]);
    print.add(static_cast<std::uint64_t>(list.labels[i]));
    print.add(static_cast<std::uint64_t>(status.st_size));
    print.add(static_cast<std::uint64_t>(status.st_mtim.tv_sec) * 1000000000ull +
              static_cast<std::uint64_t>(status.st_mtim.tv_nsec));
  }
  return print.hex();
}

// The cache file of a split folder: one per folder and settings, named by their fingerprint, so
// that a changed file rewrites the same cache instead of adding another.
std::string cache_path_of(const ImageList& list, const ImageDecoding& decoding) {
  Fingerprint name;
  name.add(fs::absolute(list.folder).lexically_normal().string());
  name.add(decoding.channels);
  name.add(decoding.height);
  name.add(decoding.width);
  name.add(std::uint64_t{decoding.skip_unreadable});
  const std::string stem = fs::path(list.folder).filename().string();
  return (fs::path(decoding.cache_folder) / ("images-" + stem + "-" + name.hex() + ".bin"))
      .string();
}

struct MappedFile {
  void* address = MAP_FAILED;
  std::size_t size = 0;
  ~MappedFile() {
    if (address != MAP_FAILED) ::munmap(address, size);
  }
};

// The cache if it is whole and written for this fingerprint; an empty optional (and the reason in
// `why`) otherwise.
std::optional<ImageDataset> read_cache(const std::string& path, const std::string& key,
                                       std::size_t classes, std::string& why,
                                       std::vector<std::string>& skipped) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    why = "none yet";
    return std::nullopt;
  }
  struct stat status {};
  auto mapping = std::make_shared<MappedFile>();
  if (::fstat(fd, &status) == 0 && status.st_size > 0) {
    mapping->size = static_cast<std::size_t>(status.st_size);
    mapping->address = ::mmap(nullptr, mapping->size, PROT_READ, MAP_PRIVATE, fd, 0);
  }
  ::close(fd);
  if (mapping->address == MAP_FAILED) {
    why = "unreadable";
    return std::nullopt;
  }
  const auto* bytes = static_cast<const std::uint8_t*>(mapping->address);
  const std::size_t size = mapping->size;
  std::uint64_t header_size = 0;
  if (size < 24 || std::memcmp(bytes, kMagic, 16) != 0) {
    why = "not a gradlab image cache";
    return std::nullopt;
  }
  std::memcpy(&header_size, bytes + 16, 8);
  if (header_size > size - 24) {
    why = "truncated";
    return std::nullopt;
  }
  ImageDataset data;
  try {
    const nlohmann::json header =
        nlohmann::json::parse(bytes + 24, bytes + 24 + static_cast<std::size_t>(header_size));
    if (header.at("version").get<int>() != kCacheVersion) {
      why = "written by another version";
      return std::nullopt;
    }
    if (header.at("fingerprint").get<std::string>() != key) {
      why = "the files or settings changed";
      return std::nullopt;
    }
    data.count = header.at("count").get<std::size_t>();
    data.channels = header.at("channels").get<std::size_t>();
    data.height = header.at("height").get<std::size_t>();
    data.width = header.at("width").get<std::size_t>();
    data.files = header.at("files").get<std::vector<std::string>>();
    skipped = header.at("skipped").get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception&) {
    why = "corrupt header";
    return std::nullopt;
  }
  data.classes = classes;
  const std::size_t labels_at = aligned(24 + header_size),
                    pixels_at = aligned(labels_at + 4 * data.count);
  if (data.files.size() != data.count || data.image_size() == 0 ||
      size != pixels_at + data.count * data.image_size()) {
    why = "truncated or inconsistent";
    return std::nullopt;
  }
  data.labels.resize(data.count);
  for (std::size_t i = 0; i < data.count; ++i) {
    std::int32_t label;
    std::memcpy(&label, bytes + labels_at + 4 * i, 4);
    if (label < 0 || static_cast<std::size_t>(label) >= classes) {
      why = "corrupt labels";
      return std::nullopt;
    }
    data.labels[i] = label;
  }
  data.mapped = bytes + pixels_at;
  data.mapping = std::move(mapping);
  return data;
}

void write_all(int fd, const void* data, std::size_t size, const std::string& path) {
  const auto* bytes = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t written = ::write(fd, bytes, size);
    if (written < 0) {
      if (errno == EINTR) continue;
      throw DataError(path + ": cannot write the image cache: " + std::strerror(errno));
    }
    bytes += written;
    size -= static_cast<std::size_t>(written);
  }
}

// Written to a temporary file beside it, then renamed over it: a reader sees the old cache or
// the whole new one. Failing to write a cache is not an error (the images are decoded already):
// the reason is returned for the log.
std::string write_cache(const std::string& path, const std::string& key, const ImageDataset& data,
                        const std::vector<std::string>& skipped) {
  try {
    fs::create_directories(fs::path(path).parent_path());
    const nlohmann::json header{{"version", kCacheVersion}, {"fingerprint", key},
                                {"count", data.count},      {"channels", data.channels},
                                {"height", data.height},    {"width", data.width},
                                {"files", data.files},      {"skipped", skipped}};
    const std::string text = header.dump();
    const std::string temporary = path + ".tmp." + std::to_string(::getpid());
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return std::string("cannot create ") + temporary + ": " + std::strerror(errno);
    try {
      const std::uint64_t header_size = text.size();
      const std::vector<char> zeros(kAlign, 0);
      write_all(fd, kMagic, 16, path);
      write_all(fd, &header_size, 8, path);
      write_all(fd, text.data(), text.size(), path);
      const std::size_t labels_at = aligned(24 + text.size());
      write_all(fd, zeros.data(), labels_at - 24 - text.size(), path);
      std::vector<std::int32_t> labels(data.labels.begin(), data.labels.end());
      write_all(fd, labels.data(), 4 * labels.size(), path);
      write_all(fd, zeros.data(), aligned(labels_at + 4 * data.count) - labels_at - 4 * data.count,
                path);
      write_all(fd, data.image(0), data.count * data.image_size(), path);
      if (::fsync(fd) != 0) throw DataError(path + ": fsync failed");
    } catch (...) {
      ::close(fd);
      ::unlink(temporary.c_str());
      throw;
    }
    ::close(fd);
    if (::rename(temporary.c_str(), path.c_str()) != 0) {
      ::unlink(temporary.c_str());
      return std::string("cannot rename to ") + path + ": " + std::strerror(errno);
    }
    return "";
  } catch (const std::exception& error) {
    return error.what();
  }
}

// Decodes every image of the list into one buffer, in parallel. An image that fails leaves its
// error in errors[i] and its slot unused.
ImageDataset decode_all(const ImageList& list, std::size_t classes, const ImageDecoding& decoding,
                        const LoadLog& log, std::vector<std::string>& errors) {
  const std::size_t count = list.files.size();
  errors.assign(count, "");
  auto decode_one = [&](std::size_t i) {
    Image image = read_image(list.folder + "/" + list.files[i], decoding.channels);
    if (decoding.height) image = resize_image(image, decoding.height, decoding.width);
    return image;
  };
  ImageDataset data;
  data.channels = decoding.channels;
  data.classes = classes;
  data.height = decoding.height;
  data.width = decoding.width;
  // Without a size to resize to, the first readable image sets it.
  std::size_t first = 0;
  Image first_image;
  for (; first < count; ++first) {
    try {
      first_image = decode_one(first);
      break;
    } catch (const DataError& error) {
      errors[first] = error.what();
      if (!decoding.skip_unreadable) return data;
    }
  }
  if (first == count) return data;
  data.height = first_image.height;
  data.width = first_image.width;
  const std::size_t size = data.image_size();
  std::vector<std::uint8_t> pixels(count * size);
  std::copy(first_image.pixels.begin(), first_image.pixels.end(), pixels.begin() + first * size);
  std::atomic<std::size_t> done{first + 1};
  const auto total = static_cast<std::ptrdiff_t>(count);
#pragma omp parallel for schedule(dynamic, 32)
  for (std::ptrdiff_t k = static_cast<std::ptrdiff_t>(first) + 1; k < total; ++k) {
    const auto i = static_cast<std::size_t>(k);
    try {
      const Image image = decode_one(i);
      if (image.height != data.height || image.width != data.width)
        throw DataError(list.folder + "/" + list.files[i] + ": image is " +
                        std::to_string(image.height) + "x" + std::to_string(image.width) + " but " +
                        list.files[first] + " is " + std::to_string(data.height) + "x" +
                        std::to_string(data.width) +
                        "; set data.image_size to resize them all to one size");
      std::copy(image.pixels.begin(), image.pixels.end(), pixels.begin() + i * size);
    } catch (const std::exception& error) {
      errors[i] = error.what();
    }
    const std::size_t now = ++done;
    if (log.progress && omp_get_thread_num() == 0 && (now % 256 == 0 || now == count))
      log.progress(now, count);
  }
  if (log.progress) log.progress(count, count);
  // Keep the decoded images, in order.
  for (std::size_t i = 0; i < count; ++i) {
    if (!errors[i].empty()) continue;
    if (data.count != i)
      std::copy_n(pixels.begin() + i * size, size, pixels.begin() + data.count * size);
    data.labels.push_back(list.labels[i]);
    data.files.push_back(list.files[i]);
    ++data.count;
  }
  pixels.resize(data.count * size);
  data.pixels = std::move(pixels);
  return data;
}

}  // namespace

bool is_image_file_name(const std::string& name) {
  std::string extension = fs::path(name).extension().string();
  for (char& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return extension == ".png" || extension == ".jpg" || extension == ".jpeg" || extension == ".pgm";
}

ImageFolderLayout image_folder_layout(const std::string& root) {
  std::error_code error;
  if (!fs::is_directory(root, error))
    throw DataError(root + ": " + (fs::exists(root, error) ? "not a folder" : "not found") +
                    "; data.folder of an image_folder data set is a folder of class folders "
                    "(<class>/<image>), or of train/, val/ and test/ folders of them");
  ImageFolderLayout layout;
  layout.root = root;
  const fs::path train = fs::path(root) / "train";
  if (fs::is_directory(train, error)) {
    layout.train = train.string();
    for (const char* name : {"val", "validation"})
      if (fs::is_directory(fs::path(root) / name, error) && layout.validation.empty())
        layout.validation = (fs::path(root) / name).string();
    if (fs::is_directory(fs::path(root) / "test", error))
      layout.test = (fs::path(root) / "test").string();
  } else {
    layout.train = root;
  }
  layout.class_names = sub_folders(layout.train);
  if (layout.class_names.empty())
    throw DataError(layout.train + ": no class folders (expected " + layout.train +
                    "/<class>/<image>)");
  if (layout.class_names.size() < 2)
    throw DataError(layout.train + ": one class folder (" + layout.class_names[0] +
                    "); a classifier needs two or more");
  return layout;
}

ImageList list_images(const std::string& folder, const std::vector<std::string>& class_names) {
  ImageList list;
  list.folder = folder;
  for (const std::string& name : sub_folders(folder)) {
    const auto found = std::find(class_names.begin(), class_names.end(), name);
    if (found == class_names.end())
      throw DataError(folder + "/" + name + ": class '" + name +
                      "' is not among the training classes (" + std::to_string(class_names.size()) +
                      " found in the training folder)");
    std::vector<std::string> files;
    std::error_code error;
    for (const fs::directory_entry& entry :
         fs::directory_iterator(fs::path(folder) / name, error)) {
      if (hidden(entry.path()) || !entry.is_regular_file()) continue;
      if (is_image_file_name(entry.path().string()))
        files.push_back(name + "/" + entry.path().filename().string());
      else
        ++list.ignored;
    }
    if (error) throw DataError(folder + "/" + name + ": cannot list: " + error.message());
    if (files.empty())
      throw DataError(folder + "/" + name +
                      ": class folder without images (.png, .jpg, .jpeg, "
                      ".pgm)");
    std::sort(files.begin(), files.end());
    const auto label = static_cast<std::int32_t>(found - class_names.begin());
    for (std::string& file : files) {
      list.files.push_back(std::move(file));
      list.labels.push_back(label);
    }
  }
  if (list.files.empty()) throw DataError(folder + ": no class folders with images");
  return list;
}

std::string image_cache_path(const ImageList& list, const ImageDecoding& decoding) {
  return cache_path_of(list, decoding);
}

std::string default_cache_folder() {
  if (const char* dir = std::getenv("GRADLAB_CACHE_DIR"); dir && *dir) return dir;
  if (const char* dir = std::getenv("XDG_CACHE_HOME"); dir && *dir)
    return (fs::path(dir) / "gradlab").string();
  if (const char* home = std::getenv("HOME"); home && *home)
    return (fs::path(home) / ".cache" / "gradlab").string();
  return "";
}

ImageDataset load_images(const ImageList& list, std::size_t classes, const ImageDecoding& decoding,
                         const LoadLog& log) {
  if (decoding.channels != 1 && decoding.channels != 3)
    throw std::invalid_argument("load_images: channels must be 1 or 3");
  if ((decoding.height == 0) != (decoding.width == 0))
    throw std::invalid_argument("load_images: give both height and width, or neither");
  const auto note = [&](const std::string& text) {
    if (log.note) log.note(text);
  };
  std::string key, path;
  if (!decoding.cache_folder.empty()) {
    key = fingerprint(list, classes, decoding);
    path = cache_path_of(list, decoding);
    std::string why;
    std::vector<std::string> skipped;
    if (std::optional<ImageDataset> cached = read_cache(path, key, classes, why, skipped)) {
      note(list.folder + ": " + std::to_string(cached->count) + " images from the cache " + path +
           (skipped.empty() ? ""
                            : " (" + std::to_string(skipped.size()) +
                                  " unreadable images left out, first " + skipped[0] + ")"));
      return std::move(*cached);
    }
    note(list.folder + ": decoding " + std::to_string(list.files.size()) +
         " images into the cache " + path + " (cache " + why + ")");
  }
  std::vector<std::string> errors;
  ImageDataset data = decode_all(list, classes, decoding, log, errors);
  std::vector<std::string> failed;
  for (const std::string& error : errors)
    if (!error.empty()) failed.push_back(error);
  if (!failed.empty() && !decoding.skip_unreadable)
    throw DataError(failed.front() +
                    (failed.size() > 1
                         ? " (and " + std::to_string(failed.size() - 1) + " more unreadable images)"
                         : "") +
                    "; data.skip_unreadable: true leaves them out");
  if (!failed.empty()) {
    note(list.folder + ": skipped " + std::to_string(failed.size()) + " unreadable images:");
    for (const std::string& error : failed) note("  " + error);
  }
  if (data.count == 0) throw DataError(list.folder + ": no readable images");
  if (!path.empty()) {
    std::vector<std::string> skipped;
    for (std::size_t i = 0; i < errors.size(); ++i)
      if (!errors[i].empty()) skipped.push_back(list.files[i]);
    const std::string problem = write_cache(path, key, data, skipped);
    if (!problem.empty()) note("image cache not written: " + problem);
  }
  return data;
}

}  // namespace gradlab
