#include "framework/kernels/onednn/blocked_maxpool.h"

#include <algorithm>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "framework/kernels/simd.h"
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

template <std::size_t B, std::size_t FixedK, bool ReluMask>
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
          const float *dy_at = dy + plane * out_plane,
                      *y_at = ReluMask ? y + plane * out_plane : nullptr;
          const std::uint8_t* argmax_at = argmax + plane * out_plane;
          for (std::size_t i = 0; i < g.H_out; ++i)
            for (std::size_t j = 0; j < g.W_out; ++j, dy_at += B, argmax_at += B) {
              Float4 grad[B / 4];
              Int4 best_at[B / 4];
              for (std::size_t q = 0; q < B / 4; ++q) {
                // ReLU's backward: dy · [y > 0].
                if constexpr (ReluMask)
                  grad[q] = load(y_at + 4 * q) > zero ? load(dy_at + 4 * q) : zero;
                else
                  grad[q] = load(dy_at + 4 * q);
                const std::uint8_t* lanes = argmax_at + 4 * q;
                best_at[q] = Int4{lanes[0], lanes[1], lanes[2], lanes[3]};
              }
              if constexpr (ReluMask) y_at += B;
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

#if defined(__x86_64__)
// The common 2 × 2 window with stride 2, with AVX2 when the CPU has it (chosen at run time,
// framework/kernels/simd.h): one register holds 8 channels of a pixel. Per plane (one
// image's block of B channels); the choices are the ones of the portable loops above.
__attribute__((target("avx2"))) void forward_plane_2x2_avx2(const BlockedPoolGeometry& g,
                                                            std::size_t B, const float* x, float* y,
                                                            std::uint8_t* argmax) {
  const __m256i one = _mm256_set1_epi32(1), two = _mm256_set1_epi32(2);
  for (std::size_t i = 0; i < g.H_out; ++i)
    for (std::size_t j = 0; j < g.W_out; ++j)
      for (std::size_t q = 0; q < B; q += 8, y += 8, argmax += 8) {
        const float* top = x + (2 * i * g.W + 2 * j) * B + q;
        const float* bottom = top + g.W * B;
        const __m256 a = _mm256_loadu_ps(top), b = _mm256_loadu_ps(top + B),
                     c = _mm256_loadu_ps(bottom), d = _mm256_loadu_ps(bottom + B);
        // Window a b / c d; strict comparisons, so the first maximum wins a tie.
        const __m256 right_top = _mm256_cmp_ps(b, a, _CMP_GT_OQ),
                     right_bottom = _mm256_cmp_ps(d, c, _CMP_GT_OQ);
        const __m256 max_top = _mm256_blendv_ps(a, b, right_top),
                     max_bottom = _mm256_blendv_ps(c, d, right_bottom);
        const __m256 lower = _mm256_cmp_ps(max_bottom, max_top, _CMP_GT_OQ);
        _mm256_storeu_ps(y, _mm256_blendv_ps(max_top, max_bottom, lower));
        // Position u·2 + v: right_top (0 or 1) in the top row, 2 + right_bottom in the bottom.
        const __m256i position = _mm256_blendv_epi8(
            _mm256_and_si256(_mm256_castps_si256(right_top), one),
            _mm256_add_epi32(_mm256_and_si256(_mm256_castps_si256(right_bottom), one), two),
            _mm256_castps_si256(lower));
        const __m256i words = _mm256_packus_epi32(position, position);
        const __m256i bytes = _mm256_packus_epi16(words, words);
        _mm_storel_epi64(
            reinterpret_cast<__m128i*>(argmax),
            _mm_unpacklo_epi32(_mm256_castsi256_si128(bytes), _mm256_extracti128_si256(bytes, 1)));
      }
}

template <bool ReluMask>
__attribute__((target("avx2"))) void backward_plane_2x2_avx2(const BlockedPoolGeometry& g,
                                                             std::size_t B, const float* dy,
                                                             const float* y,
                                                             const std::uint8_t* argmax,
                                                             float* dx) {
  // Rows and columns no window covers (odd sizes) get no gradient.
  const std::size_t covered_h = 2 * g.H_out, covered_w = 2 * g.W_out;
  for (std::size_t h = 0; h < covered_h; ++h)
    std::fill(dx + (h * g.W + covered_w) * B, dx + (h + 1) * g.W * B, 0.0f);
  std::fill(dx + covered_h * g.W * B, dx + g.H * g.W * B, 0.0f);
  const __m256 zero = _mm256_setzero_ps();
  for (std::size_t i = 0; i < g.H_out; ++i)
    for (std::size_t j = 0; j < g.W_out; ++j)
      for (std::size_t q = 0; q < B; q += 8, dy += 8, argmax += 8) {
        // ReLU's backward: dy · [y > 0].
        __m256 grad = _mm256_loadu_ps(dy);
        if constexpr (ReluMask) {
          grad = _mm256_and_ps(_mm256_cmp_ps(_mm256_loadu_ps(y), zero, _CMP_GT_OQ), grad);
          y += 8;
        }
        const __m256i position =
            _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(argmax)));
        float* top = dx + (2 * i * g.W + 2 * j) * B + q;
        float* at[4] = {top, top + B, top + g.W * B, top + g.W * B + B};
        for (int k = 0; k < 4; ++k) {
          const __m256 chosen =
              _mm256_castsi256_ps(_mm256_cmpeq_epi32(position, _mm256_set1_epi32(k)));
          _mm256_storeu_ps(at[k], _mm256_and_ps(chosen, grad));
        }
      }
}

bool use_avx2() {
  return simd_level() == SimdLevel::avx2;
}
#endif

}  // namespace

template <std::size_t B>
void blocked_maxpool_forward(const BlockedPoolGeometry& g, const float* x, float* y,
                             std::uint8_t* argmax) {
#if defined(__x86_64__)
  if (g.K == 2 && g.S == 2 && use_avx2()) {
    const std::size_t in_plane = g.H * g.W * B, out_plane = g.H_out * g.W_out * B;
    parallel_for(
        g.N * g.channel_blocks,
        [=](std::size_t begin, std::size_t end) {
          for (std::size_t plane = begin; plane < end; ++plane)
            forward_plane_2x2_avx2(g, B, x + plane * in_plane, y + plane * out_plane,
                                   argmax + plane * out_plane);
        },
        in_plane);
    return;
  }
#endif
  if (g.K == 2 && g.S == 2)
    forward_planes<B, 2>(g, x, y, argmax);  // the common case, unrolled
  else
    forward_planes<B, 0>(g, x, y, argmax);
}

namespace {
template <std::size_t B, bool ReluMask>
void backward(const BlockedPoolGeometry& g, const float* dy, const float* y,
              const std::uint8_t* argmax, float* dx) {
#if defined(__x86_64__)
  if (g.K == 2 && g.S == 2 && use_avx2()) {
    const std::size_t in_plane = g.H * g.W * B, out_plane = g.H_out * g.W_out * B;
    parallel_for(
        g.N * g.channel_blocks,
        [=](std::size_t begin, std::size_t end) {
          for (std::size_t plane = begin; plane < end; ++plane)
            backward_plane_2x2_avx2<ReluMask>(g, B, dy + plane * out_plane,
                                              ReluMask ? y + plane * out_plane : nullptr,
                                              argmax + plane * out_plane, dx + plane * in_plane);
        },
        in_plane);
    return;
  }
#endif
  if (g.K == 2 && g.S == 2)
    backward_planes<B, 2, ReluMask>(g, dy, y, argmax, dx);
  else
    backward_planes<B, 0, ReluMask>(g, dy, y, argmax, dx);
}
}  // namespace

template <std::size_t B>
void blocked_maxpool_backward(const BlockedPoolGeometry& g, const float* dy, const float* y,
                              const std::uint8_t* argmax, float* dx, bool relu_mask) {
  if (relu_mask)
    backward<B, true>(g, dy, y, argmax, dx);
  else
    backward<B, false>(g, dy, y, argmax, dx);
}

template void blocked_maxpool_forward<8>(const BlockedPoolGeometry&, const float*, float*,
                                         std::uint8_t*);
template void blocked_maxpool_forward<16>(const BlockedPoolGeometry&, const float*, float*,
                                          std::uint8_t*);
template void blocked_maxpool_backward<8>(const BlockedPoolGeometry&, const float*, const float*,
                                          const std::uint8_t*, float*, bool);
template void blocked_maxpool_backward<16>(const BlockedPoolGeometry&, const float*, const float*,
                                           const std::uint8_t*, float*, bool);

}  // namespace gradlab::onednn
