#include "framework/kernels/onednn/conv2d_im2col.h"

#include <algorithm>

#include <omp.h>

#include "framework/kernels/onednn/gemm.h"

namespace gradlab::onednn {

namespace {

// cols (R × Q) for one image x_n (C_in × H × W). Row (c, u, v) holds the input pixels that tap
// (u, v) of channel c meets at each output position; rows are written contiguously.
void unroll(const reference::Conv2dGeometry& g, const float* x_n, float* cols) {
  const long H = static_cast<long>(g.H), W = static_cast<long>(g.W), P = static_cast<long>(g.P),
             S = static_cast<long>(g.S);
  for (std::size_t c = 0; c < g.C_in; ++c)
    for (std::size_t u = 0; u < g.K; ++u)
      for (std::size_t v = 0; v < g.K; ++v) {
        float* row = cols + ((c * g.K + u) * g.K + v) * g.H_out * g.W_out;
        const float* plane = x_n + c * g.H * g.W;
        // Output columns j whose tap lands inside the image: 0 ≤ j·S + v − P < W.
        const long shift = static_cast<long>(v) - P;
        const long j_first = std::clamp<long>((-shift + S - 1) / S, 0, static_cast<long>(g.W_out));
        const long j_end =
            std::clamp<long>((W - shift + S - 1) / S, j_first, static_cast<long>(g.W_out));
        for (std::size_t i = 0; i < g.H_out; ++i, row += g.W_out) {
          const long r = static_cast<long>(i) * S + static_cast<long>(u) - P;
          if (r < 0 || r >= H) {
            std::fill(row, row + g.W_out, 0.0f);
            continue;
          }
          std::fill(row, row + j_first, 0.0f);
          for (long j = j_first; j < j_end; ++j) row[j] = plane[r * W + j * S + shift];
          std::fill(row + j_end, row + g.W_out, 0.0f);
        }
      }
}

}  // namespace

void Im2colBackwardWeights::run(const reference::Conv2dGeometry& g, const float* x, const float* dy,
                                float* dw, float* db, std::size_t dy_block) {
  const std::size_t R = g.C_in * g.K * g.K, Q = g.H_out * g.W_out;
  const std::size_t channel_blocks = (g.C_out + dy_block - 1) / dy_block;
  const std::size_t padded_channels = channel_blocks * dy_block;
  const auto threads = static_cast<std::size_t>(omp_in_parallel() ? 1 : omp_get_max_threads());
  cols_.resize(threads);
  partial_.resize(threads);
  // Zeroed here, not in the region: OpenMP may start fewer threads than asked, and a partial
  // left from an earlier call must not be added again.
  for (std::vector<float>& partial : partial_)
    partial.assign(padded_channels * (R + 1), 0.0f);  // row o: [dw[o, :], db[o]]
  const int team_size = static_cast<int>(threads);
#pragma omp parallel num_threads(team_size)
  {
    const auto t = static_cast<std::size_t>(omp_get_thread_num());
    const auto team = static_cast<std::size_t>(omp_get_num_threads());
    std::vector<float>& cols = cols_[t];
    // Row R of cols is all ones, so the same GEMM also sums dy over positions: column R of the
    // product is the bias gradient (a separate float sum is a serial dependency chain, 3x slower).
    cols.resize((R + 1) * Q);
    std::fill(cols.begin() + static_cast<std::ptrdiff_t>(R * Q), cols.end(), 1.0f);
    for (std::size_t n = g.N * t / team; n < g.N * (t + 1) / team; ++n) {
      unroll(g, x + n * g.C_in * g.H * g.W, cols.data());
      // partial (C_out × (R + 1)) += dy_n (C_out × Q) · colsᵀ. Inside this parallel region,
      // oneDNN's sgemm runs on the calling thread only.
      const float* dy_n = dy + n * padded_channels * Q;
      if (dy_block == 1) {
        sgemm(false, true, g.C_out, R + 1, Q, dy_n, cols.data(), partial_[t].data(), true);
      } else {
        for (std::size_t b = 0; b < channel_blocks; ++b)
          sgemm(true, true, dy_block, R + 1, Q, dy_n + b * Q * dy_block, cols.data(),
                partial_[t].data() + b * dy_block * (R + 1), true);
      }
    }
  }
  for (const std::vector<float>& partial : partial_)
    for (std::size_t o = 0; o < g.C_out; ++o) {
      for (std::size_t r = 0; r < R; ++r) dw[o * R + r] += partial[o * (R + 1) + r];
      if (db) db[o] += partial[o * (R + 1) + R];
    }
}

}  // namespace gradlab::onednn
