#include "datasets/spiral.h"

#include <cmath>
#include <stdexcept>

namespace gradlab {

SpiralData make_spiral(std::size_t points_per_class, std::size_t classes, double noise, Rng& rng) {
  if (points_per_class < 2 || classes < 1)
    throw std::invalid_argument("make_spiral: need at least 2 points per class and 1 class");
  SpiralData data;
  data.points = Tensor<float>::from_shape({points_per_class * classes, 2});
  data.labels.resize(points_per_class * classes);
  for (std::size_t k = 0; k < classes; ++k)
    for (std::size_t i = 0; i < points_per_class; ++i) {
      const std::size_t row = k * points_per_class + i;
      const double r = static_cast<double>(i) / static_cast<double>(points_per_class - 1);
      const double theta = 4.0 * static_cast<double>(k) + 4.0 * r + noise * rng.normal();
      data.points(row, 0) = static_cast<float>(r * std::sin(theta));
      data.points(row, 1) = static_cast<float>(r * std::cos(theta));
      data.labels[row] = static_cast<int>(k);
    }
  return data;
}

}  // namespace gradlab
