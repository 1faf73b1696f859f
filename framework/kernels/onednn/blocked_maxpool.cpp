#include "framework/kernels/onednn/blocked_maxpool.h"

#include <algorithm>

#include "framework/parallel.h"

namespace gradlab::onednn {

namespace {

// Four lanes as one value (GCC/Clang vector extensions): one SSE register on the baseline x86-64
// build, so the B channels of a pixel are B/4 register operations. Loops over single lanes did
// not vectorise (5x slower); 8- or 16-lane vector types, wider than the baseline's registers,
// were lowered even worse.
typedef float Float4 __attribute__((vector_size(16)));
typedef std::int32_t Int4 __attribute__((vector_size(16)));

Float4 load(const float* at) {
  Float4 v;
  __builtin_memcpy(&v, at, sizeof v);
  return v;
}
void store(float* at, Float4 v) {
  __builtin_memcpy(at, &v, sizeof v);
}

}  // namespace

// Both loops choose with selects on values loaded unconditionally, never with branches: which
// window element is largest is a coin toss for the branch predictor (layers/maxpool2d.cpp).

namespace {

// FixedK > 0: the window and stride known at compile time (K = S = FixedK).
template <std::size_t B, std::size_t FixedK>
void forward_planes(const BlockedPoolGeometry& geometry, const float* x, float* y,
                    std::uint8_t* argmax) {
  static_assert(B % 4 == 0);
  const BlockedPoolGeometry g = geometry;
  const std::size_t in_plane = g.H * g.W * B, out_plane = g.H_out * g.W_out * B;
  // A plane is one image's block of B channels; planes are independent.
  parallel_for(
      g.N * g.channel_blocks,
      [=](std::size_t begin, std::size_t end) {
        // Read here, inside the closure, so that a fixed window is a constant the loops unroll on.
        const std::size_t K = FixedK > 0 ? FixedK : g.K, S = FixedK > 0 ? FixedK : g.S;
        for (std::size_t plane = begin; plane < end; ++plane) {
          const float* x_plane = x + plane * in_plane;
          float* y_at = y + plane * out_plane;
          std::uint8_t* argmax_at = argmax + plane * out_plane;
          for (std::size_t i = 0; i < g.H_out; ++i)
            for (std::size_t j = 0; j < g.W_out; ++j, y_at += B, argmax_at += B) {
              const float* corner = x_plane + (i * S * g.W + j * S) * B;
              Float4 best[B / 4];
              Int4 best_at[B / 4];
              for (std::size_t q = 0; q < B / 4; ++q) {
                best[q] = load(corner + 4 * q);
                best_at[q] = Int4{0, 0, 0, 0};
              }
              for (std::size_t u = 0; u < K; ++u)
                for (std::size_t v = 0; v < K; ++v) {
                  const float* at = corner + (u * g.W + v) * B;
                  const auto position = static_cast<std::int32_t>(u * K + v);
                  for (std::size_t q = 0; q < B / 4; ++q) {
                    const Float4 value = load(at + 4 * q);
                    const Int4 larger = value > best[q];  // strict: the first maximum wins a tie
                    best[q] = larger ? value : best[q];
                    best_at[q] = larger ? Int4{} + position : best_at[q];
                  }
                }
              for (std::size_t q = 0; q < B / 4; ++q) {
                store(y_at + 4 * q, best[q]);
                for (std::size_t l = 0; l < 4; ++l)
                  argmax_at[4 * q + l] = static_cast<std::uint8_t>(best_at[q][l]);
              }
            }
        }
      },
      in_plane);
}

template <std::size_t B, std::size_t FixedK>
void backward_planes(const BlockedPoolGeometry& geometry, const float* dy, const float* y,
                     const std::uint8_t* argmax, float* dx) {
  static_assert(B % 4 == 0);
  const BlockedPoolGeometry g = geometry;
  const std::size_t in_plane = g.H * g.W * B, out_plane = g.H_out * g.W_out * B;
  // Windows that tile the input (S = K) are written once each, with no zeroing first, except the
  // rows and columns no window covers; overlapping windows (S < K) or gaps (S > K) zero the plane
  // and add.
  parallel_for(
      g.N * g.channel_blocks,
      [=](std::size_t begin, std::size_t end) {
        const std::size_t K = FixedK > 0 ? FixedK : g.K, S = FixedK > 0 ? FixedK : g.S;
        const bool tiles = S == K;
        const Float4 zero{0, 0, 0, 0};
        for (std::size_t plane = begin; plane < end; ++plane) {
          float* dx_plane = dx + plane * in_plane;
          if (!tiles) {
            std::fill(dx_plane, dx_plane + in_plane, 0.0f);
          } else {
            const std::size_t covered_h = g.H_out * K, covered_w = g.W_out * K;
            for (std::size_t h = 0; h < covered_h; ++h)
              std::fill(dx_plane + (h * g.W + covered_w) * B, dx_plane + (h + 1) * g.W * B, 0.0f);
            std::fill(dx_plane + covered_h * g.W * B, dx_plane + in_plane, 0.0f);
          }
          const float *dy_at = dy + plane * out_plane, *y_at = y + plane * out_plane;
          const std::uint8_t* argmax_at = argmax + plane * out_plane;
          for (std::size_t i = 0; i < g.H_out; ++i)
            for (std::size_t j = 0; j < g.W_out; ++j, dy_at += B, y_at += B, argmax_at += B) {
              Float4 grad[B / 4];
              Int4 best_at[B / 4];
              for (std::size_t q = 0; q < B / 4; ++q) {
                // ReLU's backward: dy · [y > 0].
                grad[q] = load(y_at + 4 * q) > zero ? load(dy_at + 4 * q) : zero;
                const std::uint8_t* lanes = argmax_at + 4 * q;
                best_at[q] = Int4{lanes[0], lanes[1], lanes[2], lanes[3]};
              }
              float* corner = dx_plane + (i * S * g.W + j * S) * B;
              for (std::size_t u = 0; u < K; ++u)
                for (std::size_t v = 0; v < K; ++v) {
                  float* at = corner + (u * g.W + v) * B;
                  const auto position = static_cast<std::int32_t>(u * K + v);
                  for (std::size_t q = 0; q < B / 4; ++q) {
                    const Float4 share = best_at[q] == position ? grad[q] : zero;
                    store(at + 4 * q, tiles ? share : load(at + 4 * q) + share);
                  }
                }
            }
        }
      },
      in_plane);
}

}  // namespace

template <std::size_t B>
void blocked_maxpool_forward(const BlockedPoolGeometry& g, const float* x, float* y,
                             std::uint8_t* argmax) {
  if (g.K == 2 && g.S == 2)
    forward_planes<B, 2>(g, x, y, argmax);  // the common case, unrolled
  else
    forward_planes<B, 0>(g, x, y, argmax);
}

template <std::size_t B>
void blocked_maxpool_relu_backward(const BlockedPoolGeometry& g, const float* dy, const float* y,
                                   const std::uint8_t* argmax, float* dx) {
  if (g.K == 2 && g.S == 2)
    backward_planes<B, 2>(g, dy, y, argmax, dx);
  else
    backward_planes<B, 0>(g, dy, y, argmax, dx);
}

template void blocked_maxpool_forward<8>(const BlockedPoolGeometry&, const float*, float*,
                                         std::uint8_t*);
template void blocked_maxpool_forward<16>(const BlockedPoolGeometry&, const float*, float*,
                                          std::uint8_t*);
template void blocked_maxpool_relu_backward<8>(const BlockedPoolGeometry&, const float*,
                                               const float*, const std::uint8_t*, float*);
template void blocked_maxpool_relu_backward<16>(const BlockedPoolGeometry&, const float*,
                                                const float*, const std::uint8_t*, float*);

}  // namespace gradlab::onednn
