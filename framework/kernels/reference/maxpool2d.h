// Reference 2-D max-pooling (the math: layers/maxpool2d.h): plain loops over N×C×H×W, the oracle
// for the blocked kernels, and what every backend runs on plain tensors (kernels/pooling.h).
#pragma once

#include <cstddef>

namespace gradlab::reference {

struct Pool2dGeometry {
  std::size_t N, C, H, W;    // input
  std::size_t K, S;          // window and stride
  std::size_t H_out, W_out;  // floor((H + 2P − K) / S) + 1, likewise for W
  std::size_t P = 0;         // zero padding on every side (average pooling; max-pooling has none)
};

// y, and for each output element the flat index in x of its window's maximum (the first in
// row-major order on a tie, as PyTorch).
template <class T>
void max_pool2d_forward(const Pool2dGeometry& g, const T* x, T* y, std::size_t* argmax);

// Overwrites dx: zero, then dx[argmax[o]] += dy[o] for every output element o.
template <class T>
void max_pool2d_backward(const Pool2dGeometry& g, const T* dy, const std::size_t* argmax, T* dx);

}  // namespace gradlab::reference
