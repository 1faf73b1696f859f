#include "framework/math/harris.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace gradlab::math {

namespace {

// Index clamped into [0, size): the border pixel repeated outwards.
std::size_t clamped(long index, std::size_t size) {
  return static_cast<std::size_t>(std::clamp<long>(index, 0, static_cast<long>(size) - 1));
}

// Correlation with a 1-D kernel (odd length) along rows (horizontal) or columns (vertical).
Matrix correlate_1d(const Matrix& image, const std::vector<double>& kernel, bool horizontal) {
  const std::size_t height = image.shape(0), width = image.shape(1);
  const long half = static_cast<long>(kernel.size() / 2);
  Matrix result = Matrix::from_shape({height, width});
  for (std::size_t row = 0; row < height; ++row)
    for (std::size_t column = 0; column < width; ++column) {
      double sum = 0.0;
      for (long offset = -half; offset <= half; ++offset) {
        const double weight = kernel[static_cast<std::size_t>(offset + half)];
        sum +=
            weight * (horizontal ? image(row, clamped(static_cast<long>(column) + offset, width))
                                 : image(clamped(static_cast<long>(row) + offset, height), column));
      }
      result(row, column) = sum;
    }
  return result;
}

// G_σ sampled at −⌈3σ⌉ … ⌈3σ⌉ and normalised to sum 1.
std::vector<double> gaussian_kernel(double sigma) {
  const long half = static_cast<long>(std::ceil(3.0 * sigma));
  std::vector<double> kernel;
  for (long x = -half; x <= half; ++x)
    kernel.push_back(std::exp(-0.5 * static_cast<double>(x * x) / (sigma * sigma)));
  double sum = 0.0;
  for (double w : kernel) sum += w;
  for (double& w : kernel) w /= sum;
  return kernel;
}

}  // namespace

StructureTensor structure_tensor(const Matrix& image, double sigma) {
  require_finite_matrix(image, "structure_tensor");
  if (!(sigma > 0.0) || sigma > 100.0)
    throw std::invalid_argument("structure_tensor: sigma must be in (0, 100], got " +
                                std::to_string(sigma));
  // Sobel = smoothing [1 2 1]/4 across × central difference [−1 0 1]/2 along: separable.
  const std::vector<double> smooth{0.25, 0.5, 0.25}, derive{-0.5, 0.0, 0.5};
  const Matrix ix = correlate_1d(correlate_1d(image, smooth, false), derive, true);
  const Matrix iy = correlate_1d(correlate_1d(image, smooth, true), derive, false);
  const std::vector<double> window = gaussian_kernel(sigma);
  auto smoothed = [&](const Matrix& product) {
    return correlate_1d(correlate_1d(product, window, true), window, false);
  };
  return StructureTensor{smoothed(ix * ix), smoothed(ix * iy), smoothed(iy * iy)};
}

Matrix harris_response(const StructureTensor& m, double k) {
  const Matrix trace = m.xx + m.yy;
  return m.xx * m.yy - m.xy * m.xy - k * trace * trace;
}

Matrix harris_response(const Matrix& image, double sigma, double k) {
  return harris_response(structure_tensor(image, sigma), k);
}

std::vector<std::vector<PixelKind>> classify_pixels(const Matrix& response, double threshold) {
  require_finite_matrix(response, "classify_pixels");
  const double cut = threshold * std::max(0.0, static_cast<double>(xt::amax(response)()));
  std::vector<std::vector<PixelKind>> kinds(
      response.shape(0), std::vector<PixelKind>(response.shape(1), PixelKind::flat));
  for (std::size_t row = 0; row < response.shape(0); ++row)
    for (std::size_t column = 0; column < response.shape(1); ++column) {
      const double r = response(row, column);
      if (cut > 0.0 && r > cut)
        kinds[row][column] = PixelKind::corner;
      else if (cut > 0.0 && r < -cut)
        kinds[row][column] = PixelKind::edge;
    }
  return kinds;
}

std::vector<Corner> harris_corners(const Matrix& response, double threshold, std::size_t radius) {
  require_finite_matrix(response, "harris_corners");
  const std::size_t height = response.shape(0), width = response.shape(1);
  const double cut = threshold * static_cast<double>(xt::amax(response)());
  std::vector<Corner> corners;
  if (!(cut > 0.0)) return corners;  // no positive response: no corners
  for (std::size_t row = 0; row < height; ++row)
    for (std::size_t column = 0; column < width; ++column) {
      const double r = response(row, column);
      if (r <= cut) continue;
      bool is_maximum = true;
      for (std::size_t y = row >= radius ? row - radius : 0;
           is_maximum && y <= std::min(height - 1, row + radius); ++y)
        for (std::size_t x = column >= radius ? column - radius : 0;
             x <= std::min(width - 1, column + radius); ++x) {
          // Ties (a plateau) go to the first pixel in row-major order, so one corner is kept.
          const double other = response(y, x);
          if (other > r || (other == r && (y < row || (y == row && x < column)))) {
            is_maximum = false;
            break;
          }
        }
      if (is_maximum) corners.push_back({row, column, r});
    }
  std::sort(corners.begin(), corners.end(),
            [](const Corner& a, const Corner& b) { return a.response > b.response; });
  return corners;
}

}  // namespace gradlab::math
