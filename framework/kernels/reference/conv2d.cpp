#include "framework/kernels/reference/conv2d.h"

#include <stdexcept>
#include <string>

namespace gradlab::reference {

Conv2dGeometry make_conv2d_geometry(std::size_t N, std::size_t C_in, std::size_t H, std::size_t W,
                                    std::size_t C_out, std::size_t K, std::size_t S,
                                    std::size_t P) {
  if (K == 0 || S == 0) throw std::invalid_argument("conv2d: kernel size and stride must be >= 1");
  // floor((H + 2P − K) / S) + 1 in signed arithmetic, so an oversized kernel is caught.
  const long long h_span = static_cast<long long>(H + 2 * P) - static_cast<long long>(K);
  const long long w_span = static_cast<long long>(W + 2 * P) - static_cast<long long>(K);
  if (h_span < 0 || w_span < 0) {
    throw std::invalid_argument("conv2d: kernel " + std::to_string(K) + " does not fit input " +
                                std::to_string(H) + "x" + std::to_string(W) + " with padding " +
                                std::to_string(P) + " (output size would be < 1)");
  }
  return {N,
          C_in,
          H,
          W,
          C_out,
          K,
          S,
          P,
          static_cast<std::size_t>(h_span) / S + 1,
          static_cast<std::size_t>(w_span) / S + 1};
}

namespace {

// Row-major offsets of x[n,c,h,w], w[o,c,u,v] and y[n,o,i,j].
struct Index {
  const Conv2dGeometry& g;
  std::size_t x(std::size_t n, std::size_t c, std::size_t h, std::size_t w) const {
    return ((n * g.C_in + c) * g.H + h) * g.W + w;
  }
  std::size_t w(std::size_t o, std::size_t c, std::size_t u, std::size_t v) const {
    return ((o * g.C_in + c) * g.K + u) * g.K + v;
  }
  std::size_t y(std::size_t n, std::size_t o, std::size_t i, std::size_t j) const {
    return ((n * g.C_out + o) * g.H_out + i) * g.W_out + j;
  }
  // The input row/column that output position i and kernel offset u read, if inside the image.
  bool input_row(std::size_t i, std::size_t u, std::size_t& h) const {
    const long long r = static_cast<long long>(i * g.S + u) - static_cast<long long>(g.P);
    h = static_cast<std::size_t>(r);
    return r >= 0 && r < static_cast<long long>(g.H);
  }
  bool input_col(std::size_t j, std::size_t v, std::size_t& w) const {
    const long long c = static_cast<long long>(j * g.S + v) - static_cast<long long>(g.P);
    w = static_cast<std::size_t>(c);
    return c >= 0 && c < static_cast<long long>(g.W);
  }
};

}  // namespace

template <class T>
void conv2d_forward(const Conv2dGeometry& g, const T* x, const T* w, const T* b, T* y) {
  const Index at{g};
  for (std::size_t n = 0; n < g.N; ++n)
    for (std::size_t o = 0; o < g.C_out; ++o)
      for (std::size_t i = 0; i < g.H_out; ++i)
        for (std::size_t j = 0; j < g.W_out; ++j) {
          T sum = b ? b[o] : T(0);
          for (std::size_t c = 0; c < g.C_in; ++c)
            for (std::size_t u = 0; u < g.K; ++u)
              for (std::size_t v = 0; v < g.K; ++v) {
                std::size_t h, ww;
                if (at.input_row(i, u, h) && at.input_col(j, v, ww))
                  sum += x[at.x(n, c, h, ww)] * w[at.w(o, c, u, v)];
              }
          y[at.y(n, o, i, j)] = sum;
        }
}

template <class T>
void conv2d_backward_data(const Conv2dGeometry& g, const T* dy, const T* w, T* dx) {
  const Index at{g};
  for (std::size_t k = 0; k < g.N * g.C_in * g.H * g.W; ++k) dx[k] = T(0);
  // Scatter: each output gradient flows back to every input pixel its window read.
  for (std::size_t n = 0; n < g.N; ++n)
    for (std::size_t o = 0; o < g.C_out; ++o)
      for (std::size_t i = 0; i < g.H_out; ++i)
        for (std::size_t j = 0; j < g.W_out; ++j) {
          const T grad = dy[at.y(n, o, i, j)];
          for (std::size_t c = 0; c < g.C_in; ++c)
            for (std::size_t u = 0; u < g.K; ++u)
              for (std::size_t v = 0; v < g.K; ++v) {
                std::size_t h, ww;
                if (at.input_row(i, u, h) && at.input_col(j, v, ww))
                  dx[at.x(n, c, h, ww)] += grad * w[at.w(o, c, u, v)];
              }
        }
}

template <class T>
void conv2d_backward_weights(const Conv2dGeometry& g, const T* x, const T* dy, T* dw, T* db) {
  const Index at{g};
  for (std::size_t n = 0; n < g.N; ++n)
    for (std::size_t o = 0; o < g.C_out; ++o)
      for (std::size_t i = 0; i < g.H_out; ++i)
        for (std::size_t j = 0; j < g.W_out; ++j) {
          const T grad = dy[at.y(n, o, i, j)];
          if (db) db[o] += grad;
          for (std::size_t c = 0; c < g.C_in; ++c)
            for (std::size_t u = 0; u < g.K; ++u)
              for (std::size_t v = 0; v < g.K; ++v) {
                std::size_t h, ww;
                if (at.input_row(i, u, h) && at.input_col(j, v, ww))
                  dw[at.w(o, c, u, v)] += x[at.x(n, c, h, ww)] * grad;
              }
        }
}

#define GRADLAB_INSTANTIATE(T)                                                              \
  template void conv2d_forward<T>(const Conv2dGeometry&, const T*, const T*, const T*, T*); \
  template void conv2d_backward_data<T>(const Conv2dGeometry&, const T*, const T*, T*);     \
  template void conv2d_backward_weights<T>(const Conv2dGeometry&, const T*, const T*, T*, T*);
GRADLAB_INSTANTIATE(float)
GRADLAB_INSTANTIATE(double)
#undef GRADLAB_INSTANTIATE

}  // namespace gradlab::reference
