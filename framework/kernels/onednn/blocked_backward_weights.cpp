#include "framework/kernels/onednn/blocked_backward_weights.h"

#include <algorithm>
#include <stdexcept>

#include <omp.h>

#include "framework/kernels/simd.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace gradlab::onednn {

namespace {

constexpr std::size_t kLanes = 8;  // output channels per AVX register

// The partial gradient of one thread: for each group of 8 output channels, dw as
// [C_in][K][K][8], then db as [8].
std::size_t partial_group_size(const reference::Conv2dGeometry& g) {
  return (g.C_in * g.K * g.K + 1) * kLanes;
}

// One image's contribution: (g, x_n, dy_n, block, padded scratch plane, partial gradient).
using ImageKernel = void (*)(const reference::Conv2dGeometry&, const float*, const float*,
                             std::size_t, float*, float*);

#if defined(__x86_64__)
// One image's contribution, with the window size K known at compile time so that its
// accumulators stay in registers. padded is a scratch (H + 2P) × (W + 2P) plane.
template <std::size_t K, bool UnitStride>
__attribute__((target("avx2,fma"))) void accumulate_image(const reference::Conv2dGeometry& g,
                                                          const float* x_n, const float* dy_n,
                                                          std::size_t block, float* padded,
                                                          float* partial) {
  const std::size_t Q = g.H_out * g.W_out, padded_W = g.W + 2 * g.P;
  const std::size_t stride = UnitStride ? 1 : g.S;
  const std::size_t groups = (g.C_out + block - 1) / block * (block / kLanes);
  for (std::size_t c = 0; c < g.C_in; ++c) {
    // The input plane with its zero border, so that every tap below reads memory.
    std::fill(padded, padded + (g.H + 2 * g.P) * padded_W, 0.0f);
    for (std::size_t h = 0; h < g.H; ++h)
      std::copy(x_n + (c * g.H + h) * g.W, x_n + (c * g.H + h + 1) * g.W,
                padded + (h + g.P) * padded_W + g.P);
    for (std::size_t group = 0; group < groups; ++group) {
      // Lanes 8·(group mod B/8) … of block ⌊group / (B/8)⌋.
      const float* dy_group =
          dy_n + (group / (block / kLanes)) * Q * block + (group % (block / kLanes)) * kLanes;
      float* dw_group = partial + group * partial_group_size(g) + c * K * K * kLanes;
      for (std::size_t u = 0; u < K; ++u) {
        // Two sets of sums, for even and odd output columns: one set alone would wait on the
        // FMA latency (each sum updated once per column), at half the throughput.
        __m256 even[K], odd[K];
        for (std::size_t v = 0; v < K; ++v) even[v] = odd[v] = _mm256_setzero_ps();
        for (std::size_t i = 0; i < g.H_out; ++i) {
          const float* x_row = padded + (i * stride + u) * padded_W;
          const float* dy_row = dy_group + i * g.W_out * block;
          std::size_t j = 0;
          for (; j + 1 < g.W_out; j += 2) {
            const __m256 grad_even = _mm256_loadu_ps(dy_row + j * block);
            const __m256 grad_odd = _mm256_loadu_ps(dy_row + (j + 1) * block);
            const float* x_even = x_row + j * stride;
            if constexpr (UnitStride) {
              // The odd column's taps are the even column's shifted by one pixel: K + 1 loads.
              __m256 pixel = _mm256_broadcast_ss(x_even);
              for (std::size_t v = 0; v < K; ++v) {
                even[v] = _mm256_fmadd_ps(pixel, grad_even, even[v]);
                pixel = _mm256_broadcast_ss(x_even + v + 1);
                odd[v] = _mm256_fmadd_ps(pixel, grad_odd, odd[v]);
              }
            } else {
              const float* x_odd = x_even + stride;
              for (std::size_t v = 0; v < K; ++v) {
                even[v] = _mm256_fmadd_ps(_mm256_broadcast_ss(x_even + v), grad_even, even[v]);
                odd[v] = _mm256_fmadd_ps(_mm256_broadcast_ss(x_odd + v), grad_odd, odd[v]);
              }
            }
          }
          if (j < g.W_out) {
            const __m256 grad = _mm256_loadu_ps(dy_row + j * block);
            for (std::size_t v = 0; v < K; ++v)
              even[v] = _mm256_fmadd_ps(_mm256_broadcast_ss(x_row + j * stride + v), grad, even[v]);
          }
        }
        for (std::size_t v = 0; v < K; ++v) {
          float* at = dw_group + (u * K + v) * kLanes;
          _mm256_storeu_ps(at, _mm256_add_ps(_mm256_loadu_ps(at), _mm256_add_ps(even[v], odd[v])));
        }
      }
      if (c == 0) {  // db, once per image
        __m256 sum = _mm256_setzero_ps();
        for (std::size_t q = 0; q < Q; ++q)
          sum = _mm256_add_ps(sum, _mm256_loadu_ps(dy_group + q * block));
        float* at = partial + group * partial_group_size(g) + g.C_in * K * K * kLanes;
        _mm256_storeu_ps(at, _mm256_add_ps(_mm256_loadu_ps(at), sum));
      }
    }
  }
}

template <bool UnitStride>
ImageKernel image_kernel(std::size_t K) {
  switch (K) {
    case 1:
      return accumulate_image<1, UnitStride>;
    case 2:
      return accumulate_image<2, UnitStride>;
    case 3:
      return accumulate_image<3, UnitStride>;
    case 4:
      return accumulate_image<4, UnitStride>;
    case 5:
      return accumulate_image<5, UnitStride>;
    case 6:
      return accumulate_image<6, UnitStride>;
    case 7:
      return accumulate_image<7, UnitStride>;
    default:
      return nullptr;
  }
}

ImageKernel image_kernel(const reference::Conv2dGeometry& g) {
  return g.S == 1 ? image_kernel<true>(g.K) : image_kernel<false>(g.K);
}

#else
ImageKernel image_kernel(const reference::Conv2dGeometry&) {
  return nullptr;
}
#endif

}  // namespace

bool BlockedBackwardWeights::supports(const reference::Conv2dGeometry& g, std::size_t block) {
  return simd_level() == SimdLevel::avx2 && image_kernel(g) != nullptr && block % kLanes == 0 &&
         block > 0;
}

void BlockedBackwardWeights::run(const reference::Conv2dGeometry& g, const float* x,
                                 const float* dy, std::size_t block, float* dw, float* db) {
  const ImageKernel kernel = image_kernel(g);
  if (!supports(g, block)) throw std::logic_error("BlockedBackwardWeights: unsupported geometry");
  const std::size_t channel_blocks = (g.C_out + block - 1) / block;
  const std::size_t groups = channel_blocks * (block / kLanes);
  const std::size_t Q = g.H_out * g.W_out;
  const auto threads = static_cast<std::size_t>(omp_in_parallel() ? 1 : omp_get_max_threads());
  padded_.resize(threads);
  partial_.resize(threads);
  // Zeroed here, not in the region: OpenMP may start fewer threads than asked.
  for (std::vector<float>& partial : partial_) partial.assign(groups * partial_group_size(g), 0.0f);
  const int team_size = static_cast<int>(threads);
#pragma omp parallel num_threads(team_size)
  {
    const auto t = static_cast<std::size_t>(omp_get_thread_num());
    const auto team = static_cast<std::size_t>(omp_get_num_threads());
    std::vector<float>& padded = padded_[t];
    padded.resize((g.H + 2 * g.P) * (g.W + 2 * g.P));
    for (std::size_t n = g.N * t / team; n < g.N * (t + 1) / team; ++n)
      kernel(g, x + n * g.C_in * g.H * g.W, dy + n * channel_blocks * Q * block, block,
             padded.data(), partial_[t].data());
  }
  const std::size_t taps = g.C_in * g.K * g.K;
  for (const std::vector<float>& partial : partial_)
    for (std::size_t o = 0; o < g.C_out; ++o) {
      const float* group = partial.data() + (o / kLanes) * partial_group_size(g);
      const std::size_t lane = o % kLanes;
      for (std::size_t r = 0; r < taps; ++r) dw[o * taps + r] += group[r * kLanes + lane];
      if (db) db[o] += group[taps * kLanes + lane];
    }
}

}  // namespace gradlab::onednn
