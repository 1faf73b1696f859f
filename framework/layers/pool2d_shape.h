// The output shape of 2-D pooling over K × K windows with stride S and padding P, shared by
// MaxPool2d and AvgPool2d:  H_out = floor((H + 2P − K) / S) + 1, likewise for W.
#pragma once

#include <string>

#include "framework/kernels/reference/maxpool2d.h"
#include "framework/tensor.h"

namespace gradlab {

// Throws ShapeError naming `layer` unless the input is N × C × H × W with a window that fits.
inline Shape pool2d_output_shape(const std::string& layer, const Shape& input, std::size_t K,
                                 std::size_t S, std::size_t P = 0) {
  if (input.size() != 4)
    throw ShapeError(layer + ": expected input of shape [N, C, H, W], got " + to_string(input));
  const std::size_t H = input[2] + 2 * P, W = input[3] + 2 * P;
  if (H < K || W < K) {
    throw ShapeError(layer + ": input " + to_string(input) + " is smaller than the " +
                     std::to_string(K) + "x" + std::to_string(K) +
                     " window (output size would be < 1)");
  }
  return {input[0], input[1], (H - K) / S + 1, (W - K) / S + 1};
}

// The sizes a pooling kernel works with, from the input's shape and the output's
// (pool2d_output_shape's).
inline reference::Pool2dGeometry pool2d_geometry(const Shape& input, const Shape& output,
                                                 std::size_t K, std::size_t S, std::size_t P = 0) {
  return {input[0], input[1], input[2], input[3], K, S, output[2], output[3], P};
}

}  // namespace gradlab
