#include "framework/kernels/reference/maxpool2d.h"

#include <algorithm>

#include "framework/parallel.h"

namespace gradlab::reference {

template <class T>
void max_pool2d_forward(const Pool2dGeometry& g, const T* x, T* y, std::size_t* argmax) {
  const std::size_t N = g.N, C = g.C, H = g.H, W = g.W, H_out = g.H_out, W_out = g.W_out, K = g.K,
                    S = g.S;
  // Planes (one image's one channel) are independent: split them across threads.
  //
  // Which element of a window is largest is a coin toss for the branch predictor, and an `if`
  // here cost 2.5 ms per batch on LeNet's first layer (the max alone takes 0.1 ms). So the
  // winner is chosen by arithmetic on comparison results, which compiles to no branch at all.
  if (K == 2 && S == 2) {
    // The common 2×2 window: a b / c d. First maximum in that order wins a tie.
    parallel_for(
        N * C,
        [=](std::size_t begin, std::size_t end) {
          for (std::size_t plane = begin; plane < end; ++plane)
            for (std::size_t i = 0; i < H_out; ++i) {
              const std::size_t top = plane * H * W + 2 * i * W, out = (plane * H_out + i) * W_out;
              for (std::size_t j = 0; j < W_out; ++j) {
                const std::size_t at = top + 2 * j;
                const T a = x[at], b = x[at + 1], c = x[at + W], d = x[at + W + 1];
                const std::size_t right_top = b > a, right_bottom = d > c;
                const T max_top = std::max(a, b), max_bottom = std::max(c, d);
                const std::size_t bottom = max_bottom > max_top;
                const std::size_t column = right_top + bottom * (right_bottom - right_top);
                y[out + j] = std::max(max_top, max_bottom);
                argmax[out + j] = at + bottom * W + column;
              }
            }
        },
        H * W);
    return;
  }
  parallel_for(
      N * C,
      [=](std::size_t begin, std::size_t end) {
        std::size_t out = begin * H_out * W_out;  // walks Y in row-major order
        for (std::size_t plane = begin; plane < end; ++plane)
          for (std::size_t i = 0; i < H_out; ++i)
            for (std::size_t j = 0; j < W_out; ++j, ++out) {
              std::size_t best = plane * H * W + (i * S) * W + j * S;
              T best_value = x[best];
              for (std::size_t u = 0; u < K; ++u)
                for (std::size_t v = 0; v < K; ++v) {
                  const std::size_t at = plane * H * W + (i * S + u) * W + (j * S + v);
                  const std::size_t larger =
                      x[at] > best_value;  // strict: the first maximum wins a tie
                  best += larger * (at - best);
                  best_value = x[best];
                }
              y[out] = best_value;
              argmax[out] = best;
            }
      },
      H * W);
}

template <class T>
void max_pool2d_backward(const Pool2dGeometry& g, const T* dy, const std::size_t* argmax, T* dx) {
  const std::size_t plane_in = g.H * g.W, plane_out = g.H_out * g.W_out;
  // By whole planes, so no two threads write the same input element; += because overlapping
  // windows (stride < kernel) can share a maximum.
  parallel_for(
      g.N * g.C,
      [=](std::size_t begin, std::size_t end) {
        std::fill(dx + begin * plane_in, dx + end * plane_in, T(0));
        for (std::size_t out = begin * plane_out; out < end * plane_out; ++out)
          dx[argmax[out]] += dy[out];
      },
      plane_in);
}

template void max_pool2d_forward<float>(const Pool2dGeometry&, const float*, float*, std::size_t*);
template void max_pool2d_forward<double>(const Pool2dGeometry&, const double*, double*,
                                         std::size_t*);
template void max_pool2d_backward<float>(const Pool2dGeometry&, const float*, const std::size_t*,
                                         float*);
template void max_pool2d_backward<double>(const Pool2dGeometry&, const double*, const std::size_t*,
                                          double*);

}  // namespace gradlab::reference
