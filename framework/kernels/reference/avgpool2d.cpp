#include "framework/kernels/reference/avgpool2d.h"

#include <algorithm>
#include <cstddef>

#include "framework/parallel.h"

namespace gradlab::reference {

// Window rows of output row i inside X: [first, last) of i·S − P + [0, K), clipped to [0, H).
namespace {
struct Span {
  std::size_t first, last;
};
Span window(std::size_t i, std::size_t stride, std::size_t padding, std::size_t kernel,
            std::size_t extent) {
  const std::ptrdiff_t start =
      static_cast<std::ptrdiff_t>(i * stride) - static_cast<std::ptrdiff_t>(padding);
  const std::ptrdiff_t stop = start + static_cast<std::ptrdiff_t>(kernel);
  return {static_cast<std::size_t>(std::max<std::ptrdiff_t>(start, 0)),
          static_cast<std::size_t>(
              std::min<std::ptrdiff_t>(stop, static_cast<std::ptrdiff_t>(extent)))};
}
}  // namespace

template <class T>
void avg_pool2d_forward(const Pool2dGeometry& g, const T* x, T* y) {
  const std::size_t H = g.H, W = g.W, H_out = g.H_out, W_out = g.W_out;
  const T scale = T(1) / static_cast<T>(g.K * g.K);
  const std::size_t K = g.K, S = g.S, P = g.P;
  // One (n, c) plane per task.
  parallel_for(g.N * g.C, [=](std::size_t begin, std::size_t end) {
    for (std::size_t plane = begin; plane < end; ++plane) {
      const T* x_plane = x + plane * H * W;
      T* y_plane = y + plane * H_out * W_out;
      for (std::size_t i = 0; i < H_out; ++i) {
        const Span rows = window(i, S, P, K, H);
        for (std::size_t j = 0; j < W_out; ++j) {
          const Span cols = window(j, S, P, K, W);
          T sum = 0;
          for (std::size_t h = rows.first; h < rows.last; ++h)
            for (std::size_t w = cols.first; w < cols.last; ++w) sum += x_plane[h * W + w];
          y_plane[i * W_out + j] = sum * scale;
        }
      }
    }
  });
}

template <class T>
void avg_pool2d_backward(const Pool2dGeometry& g, const T* dy, T* dx) {
  const std::size_t H = g.H, W = g.W, H_out = g.H_out, W_out = g.W_out;
  const T scale = T(1) / static_cast<T>(g.K * g.K);
  const std::size_t K = g.K, S = g.S, P = g.P;
  parallel_for(g.N * g.C, [=](std::size_t begin, std::size_t end) {
    for (std::size_t plane = begin; plane < end; ++plane) {
      T* dx_plane = dx + plane * H * W;
      const T* dy_plane = dy + plane * H_out * W_out;
      std::fill(dx_plane, dx_plane + H * W, T(0));
      for (std::size_t i = 0; i < H_out; ++i) {
        const Span rows = window(i, S, P, K, H);
        for (std::size_t j = 0; j < W_out; ++j) {
          const Span cols = window(j, S, P, K, W);
          const T share = dy_plane[i * W_out + j] * scale;
          for (std::size_t h = rows.first; h < rows.last; ++h)
            for (std::size_t w = cols.first; w < cols.last; ++w) dx_plane[h * W + w] += share;
        }
      }
    }
  });
}

template <class T>
void global_avg_pool_forward(std::size_t planes, std::size_t plane_size, const T* x, T* y) {
  parallel_for(planes, [=](std::size_t begin, std::size_t end) {
    for (std::size_t plane = begin; plane < end; ++plane) {
      const T* x_plane = x + plane * plane_size;
      T sum = 0;
      for (std::size_t k = 0; k < plane_size; ++k) sum += x_plane[k];
      y[plane] = sum / static_cast<T>(plane_size);
    }
  });
}

template <class T>
void global_avg_pool_backward(std::size_t planes, std::size_t plane_size, const T* dy, T* dx) {
  parallel_for(planes, [=](std::size_t begin, std::size_t end) {
    for (std::size_t plane = begin; plane < end; ++plane)
      std::fill(dx + plane * plane_size, dx + (plane + 1) * plane_size,
                dy[plane] / static_cast<T>(plane_size));
  });
}

#define GRADLAB_INSTANTIATE(T)                                                      \
  template void avg_pool2d_forward<T>(const Pool2dGeometry&, const T*, T*);         \
  template void avg_pool2d_backward<T>(const Pool2dGeometry&, const T*, T*);        \
  template void global_avg_pool_forward<T>(std::size_t, std::size_t, const T*, T*); \
  template void global_avg_pool_backward<T>(std::size_t, std::size_t, const T*, T*);
GRADLAB_INSTANTIATE(float)
GRADLAB_INSTANTIATE(double)
#undef GRADLAB_INSTANTIATE

}  // namespace gradlab::reference
