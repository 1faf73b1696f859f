// Tensors, shapes and shape errors: the vocabulary every other file uses.
//
// A Tensor is a row-major, dynamic-rank xtensor array. Conventions used throughout:
//   N = batch, C = channels, H = height, W = width (images are N, C, H, W);
//   D_in, D_out = feature sizes of a Linear layer.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include <xtensor/xarray.hpp>

namespace gradlab {

template <class T>
using Tensor = xt::xarray<T, xt::layout_type::row_major>;

using Shape = std::vector<std::size_t>;

// Integer class labels, one per sample, each in [0, classes).
using Labels = std::vector<int>;

template <class T>
Shape shape_of(const Tensor<T>& tensor) {
  return Shape(tensor.shape().begin(), tensor.shape().end());
}

// "[64, 1, 28, 28]"
std::string to_string(const Shape& shape);

// A batch of n samples of one shape: [n, sample...].
Shape batch_shape(std::size_t n, const Shape& sample);

// Thrown when a tensor does not have the shape a layer or loss expects. The message names the
// layer, the expected shape and the actual one.
class ShapeError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

}  // namespace gradlab
