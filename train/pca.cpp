#include "train/pca.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>
#include <xtensor/xview.hpp>

#include "datasets/idx.h"
#include "datasets/image_dataset.h"
#include "datasets/image_file.h"
#include "framework/files.h"
#include "framework/math/norms.h"
#include "framework/math/pca.h"
#include "train/safetensors.h"

namespace gradlab {

namespace fs = std::filesystem;
using math::Matrix;
using math::Vector;

namespace {

constexpr std::size_t kTilesPerRow = 10, kMaxEigendigits = 40, kUpscale = 3;

// The first `count` images (all if 0) as rows of a matrix, pixels scaled to [0, 1].
Matrix image_matrix(const ImageDataset& data, std::size_t count) {
  const std::size_t size = data.image_size();
  Matrix x = Matrix::from_shape({count, size});
  for (std::size_t i = 0; i < count * size; ++i) x.flat(i) = data.image(0)[i] / 255.0;
  return x;
}

bool has_split(const std::string& folder, const std::string& split) {
  const fs::path images = fs::path(folder) / (split + "-images-idx3-ubyte");
  return fs::exists(images) || fs::exists(images.string() + ".gz");
}

// Each image enlarged by repeating pixels, so 28 × 28 tiles are visible without zooming.
GrayImage upscaled(const GrayImage& image, std::size_t factor) {
  GrayImage big{image.height * factor, image.width * factor,
                std::vector<std::uint8_t>(image.height * image.width * factor * factor)};
  for (std::size_t y = 0; y < big.height; ++y)
    for (std::size_t x = 0; x < big.width; ++x)
      big.pixels[y * big.width + x] = image.pixels[(y / factor) * image.width + x / factor];
  return big;
}

GrayImage to_image(const Vector& values, std::size_t height, std::size_t width, double low,
                   double high) {
  GrayImage image{height, width, std::vector<std::uint8_t>(height * width)};
  for (std::size_t i = 0; i < height * width; ++i)
    image.pixels[i] = static_cast<std::uint8_t>(
        std::lround(255.0 * std::clamp((values(i) - low) / (high - low), 0.0, 1.0)));
  return image;
}

void write_png(const fs::path& path, const std::vector<GrayImage>& tiles, std::size_t columns) {
  write_file_atomically(path.string(), encode_png(upscaled(tile_images(tiles, columns), kUpscale)));
}

std::vector<std::size_t> default_ks(std::size_t components) {
  std::vector<std::size_t> ks;
  for (std::size_t k : {1, 2, 5, 10, 20, 50, 100, 200, 300, 400, 500})
    if (k < components) ks.push_back(k);
  ks.push_back(components);
  return ks;
}

}  // namespace

int pca_command(const PcaOptions& options) {
  if (options.method != "eigen" && options.method != "svd")
    throw std::invalid_argument("--method must be eigen or svd, got " + options.method);
  // The output folder first: a bad --out should fail before a minute of fitting, not after.
  std::error_code error;
  fs::create_directories(options.out_dir, error);
  if (error || !fs::is_directory(options.out_dir))
    throw std::invalid_argument("--out " + options.out_dir + ": cannot create the folder" +
                                (error ? ": " + error.message() : ""));
  const ImageDataset train = load_idx_dataset(options.data_dir, "train");
  const std::size_t features = train.image_size();
  if (train.channels != 1)
    throw std::invalid_argument(options.data_dir + ": pca draws grayscale images; these have " +
                                std::to_string(train.channels) + " channels");
  if (options.components < 1 || options.components > features)
    throw std::invalid_argument("--components must be in [1, " + std::to_string(features) +
                                "] (pixels per image), got " + std::to_string(options.components));
  const std::size_t samples = options.samples == 0 ? train.count : options.samples;
  if (samples < 2 || samples > train.count)
    throw std::invalid_argument("--samples must be in [2, " + std::to_string(train.count) +
                                "] (training images), got " + std::to_string(samples));
  const std::vector<std::size_t> ks =
      options.ks.empty() ? default_ks(options.components) : options.ks;
  for (std::size_t k : ks)
    if (k < 1 || k > options.components)
      throw std::invalid_argument("--ks: " + std::to_string(k) + " is outside [1, --components = " +
                                  std::to_string(options.components) + "]");

  const auto start = std::chrono::steady_clock::now();
  const Matrix x = image_matrix(train, samples);
  const math::Pca pca =
      math::Pca::fit(x, options.components,
                     options.method == "svd" ? math::PcaMethod::svd : math::PcaMethod::eigen);
  const double fit_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "pca: %zu components of %zu training images (%zu pixels) by %s in %.2f s; total variance "
      "%.4f\n",
      options.components, samples, features, options.method.c_str(), fit_seconds,
      pca.total_variance());

  const fs::path out(options.out_dir);
  nlohmann::ordered_json summary = {{"data", options.data_dir},
                                    {"method", options.method},
                                    {"training_images", samples},
                                    {"pixels", features},
                                    {"components", options.components},
                                    {"fit_seconds", fit_seconds},
                                    {"total_variance", pca.total_variance()}};

  // The explained-variance curve.
  const Vector ratio = pca.explained_variance_ratio();
  std::ostringstream curve;
  curve << "component,explained_variance,ratio,cumulative_ratio\n";
  std::vector<double> cumulative(options.components);
  double running = 0.0;
  for (std::size_t i = 0; i < options.components; ++i) {
    running += ratio(i);
    cumulative[i] = running;
    curve << i + 1 << ',' << pca.explained_variance()(i) << ',' << ratio(i) << ',' << running
          << '\n';
  }
  write_file_atomically((out / "explained_variance.csv").string(), curve.str());

  // Reconstruction errors on held-out images when there are some.
  const std::string split = has_split(options.data_dir, "t10k") ? "t10k" : "train";
  const ImageDataset evaluated =
      split == "t10k" ? load_idx_dataset(options.data_dir, "t10k") : train;
  if (evaluated.height != train.height || evaluated.width != train.width ||
      evaluated.channels != train.channels)
    throw std::invalid_argument(options.data_dir + ": t10k images are " +
                                std::to_string(evaluated.height) + "x" +
                                std::to_string(evaluated.width) + ", train images " +
                                std::to_string(train.height) + "x" + std::to_string(train.width));
  const Matrix x_eval = image_matrix(evaluated, evaluated.count);
  const Matrix z = pca.transform(x_eval);  // N × K coordinates; the first k columns give X̂_k
  const Matrix deviations = x_eval - xt::view(pca.mean(), xt::newaxis(), xt::all());
  const double deviation_norm = math::frobenius_norm(deviations);

  std::ostringstream errors;
  errors << "k,split,mse_per_pixel,relative_error,cumulative_explained_variance\n";
  std::printf("%6s  %28s  %16s  %14s\n", "k", "cumulative explained variance",
              ("MSE/pixel " + split).c_str(), "relative error");
  std::vector<Matrix> reconstructions;
  for (std::size_t k : ks) {
    const Matrix z_k = xt::view(z, xt::all(), xt::range(0, k));
    const Matrix w_k = xt::view(pca.components(), xt::range(0, k), xt::all());
    Matrix x_hat = math::matmul(z_k, w_k) + xt::view(pca.mean(), xt::newaxis(), xt::all());
    const double squared = xt::sum(xt::square(x_eval - x_hat))();
    const double mse = squared / static_cast<double>(x_eval.size());
    const double relative = std::sqrt(squared) / deviation_norm;
    errors << k << ',' << split << ',' << mse << ',' << relative << ',' << cumulative[k - 1]
           << '\n';
    std::printf("%6zu  %28.4f  %16.5f  %14.4f\n", k, cumulative[k - 1], mse, relative);
    summary["reconstruction"].push_back({{"k", k},
                                         {"split", split},
                                         {"mse_per_pixel", mse},
                                         {"relative_error", relative},
                                         {"cumulative_explained_variance", cumulative[k - 1]}});
    reconstructions.push_back(std::move(x_hat));
  }
  write_file_atomically((out / "reconstruction_error.csv").string(), errors.str());
  for (std::size_t k : {10, 50, 100, 200})
    if (k <= options.components)
      summary["cumulative_explained_variance"][std::to_string(k)] = cumulative[k - 1];

  // Eigendigits: each axis drawn on its own symmetric scale, so 0 is mid-gray.
  std::vector<GrayImage> tiles;
  for (std::size_t i = 0; i < std::min(options.components, kMaxEigendigits); ++i) {
    const Vector axis = xt::view(pca.components(), i, xt::all());
    const double extent = std::max(1e-12, static_cast<double>(xt::amax(xt::abs(axis))()));
    tiles.push_back(to_image(axis, train.height, train.width, -extent, extent));
  }
  write_png(out / "eigendigits.png", tiles, kTilesPerRow);

  // Reconstructions: the first image of each class (up to 10 rows), original then each k.
  std::vector<std::size_t> rows;
  for (std::size_t c = 0; c < evaluated.classes && rows.size() < 10; ++c) {
    const auto first =
        std::find(evaluated.labels.begin(), evaluated.labels.end(), static_cast<int>(c));
    if (first != evaluated.labels.end())
      rows.push_back(static_cast<std::size_t>(first - evaluated.labels.begin()));
  }
  tiles.clear();
  for (std::size_t row : rows) {
    tiles.push_back(
        to_image(xt::view(x_eval, row, xt::all()), train.height, train.width, 0.0, 1.0));
    for (const Matrix& x_hat : reconstructions)
      tiles.push_back(
          to_image(xt::view(x_hat, row, xt::all()), train.height, train.width, 0.0, 1.0));
  }
  write_png(out / "reconstructions.png", tiles, ks.size() + 1);

  summary["files"] = {"explained_variance.csv", "reconstruction_error.csv", "eigendigits.png",
                      "reconstructions.png"};
  summary["reconstructions_png_columns"] = "original, then k = " + [&] {
    std::string list;
    for (std::size_t k : ks) list += (list.empty() ? "" : ", ") + std::to_string(k);
    return list;
  }();
  write_file_atomically((out / "summary.json").string(), summary.dump(2) + "\n");
  std::printf(
      "pca: wrote %s/{explained_variance.csv, reconstruction_error.csv, eigendigits.png, "
      "reconstructions.png, summary.json}\n",
      options.out_dir.c_str());
  return 0;
}

}  // namespace gradlab
