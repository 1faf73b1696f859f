#include "framework/kernels/onednn/conv2d_im2col.h"

#include <algorithm>

#include <omp.h>

#include "framework/kernels/onednn/gemm.h"

namespace gradlab::onednn {

namespace {

// Output columns j whose tap at offset `shift` (v − P) lands inside a row of width W:
// 0 ≤ j·S + shift < W, for j in [j_first, j_end).
struct Columns {
  long j_first, j_end;
};
Columns inside_columns(const reference::Conv2dGeometry& g, long shift) {
  const long W = static_cast<long>(g.W), S = static_cast<long>(g.S),
             W_out = static_cast<long>(g.W_out);
  const long j_first = std::clamp<long>((-shift + S - 1) / S, 0, W_out);
  const long j_end = std::clamp<long>((W - shift + S - 1) / S, j_first, W_out);
  return {j_first, j_end};
}

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
        const long shift = static_cast<long>(v) - P;
        const auto [j_first, j_end] = inside_columns(g, shift);
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

// The transpose of unroll: adds each entry of cols back onto the pixel of dx_n it was read from
// (entries that stood for padding go nowhere). dx_n must start zeroed.
void roll_back(const reference::Conv2dGeometry& g, const float* cols, float* dx_n) {
  const long H = static_cast<long>(g.H), W = static_cast<long>(g.W), P = static_cast<long>(g.P),
             S = static_cast<long>(g.S);
  for (std::size_t c = 0; c < g.C_in; ++c)
    for (std::size_t u = 0; u < g.K; ++u)
      for (std::size_t v = 0; v < g.K; ++v) {
        const float* row = cols + ((c * g.K + u) * g.K + v) * g.H_out * g.W_out;
        float* plane = dx_n + c * g.H * g.W;
        const long shift = static_cast<long>(v) - P;
        const auto [j_first, j_end] = inside_columns(g, shift);
        for (std::size_t i = 0; i < g.H_out; ++i, row += g.W_out) {
          const long r = static_cast<long>(i) * S + static_cast<long>(u) - P;
          if (r < 0 || r >= H) continue;
          for (long j = j_first; j < j_end; ++j) plane[r * W + j * S + shift] += row[j];
        }
      }
}

// Runs body(thread, first image, end image) with the images split across the OpenMP threads.
// Inside the region, oneDNN's sgemm runs on the calling thread only.
template <class Body>
void for_image_ranges(std::size_t images, std::size_t threads, Body&& body) {
  const int team_size = static_cast<int>(threads);
#pragma omp parallel num_threads(team_size)
  {
    const auto t = static_cast<std::size_t>(omp_get_thread_num());
    const auto team = static_cast<std::size_t>(omp_get_num_threads());
    body(t, images * t / team, images * (t + 1) / team);
  }
}

std::size_t thread_count() {
  return static_cast<std::size_t>(omp_in_parallel() ? 1 : omp_get_max_threads());
}

}  // namespace

std::vector<std::vector<float>>& Im2colConvolution::thread_buffers(
    std::vector<std::vector<float>>& buffers) {
  buffers.resize(thread_count());
  return buffers;
}

void Im2colConvolution::forward(const reference::Conv2dGeometry& g, const float* x, const float* w,
                                const float* b, float* y) {
  const std::size_t R = g.C_in * g.K * g.K, Q = g.H_out * g.W_out;
  auto& cols = thread_buffers(cols_);
  for_image_ranges(g.N, cols.size(), [&](std::size_t t, std::size_t first, std::size_t end) {
    cols[t].resize(R * Q);
    for (std::size_t n = first; n < end; ++n) {
      unroll(g, x + n * g.C_in * g.H * g.W, cols[t].data());
      float* y_n = y + n * g.C_out * Q;
      sgemm(false, false, g.C_out, Q, R, w, cols[t].data(), y_n, false);  // y_n = w · cols_n
      if (b)
        for (std::size_t o = 0; o < g.C_out; ++o)
          for (std::size_t q = 0; q < Q; ++q) y_n[o * Q + q] += b[o];
    }
  });
}

void Im2colConvolution::backward_data(const reference::Conv2dGeometry& g, const float* dy,
                                      const float* w, float* dx) {
  const std::size_t R = g.C_in * g.K * g.K, Q = g.H_out * g.W_out;
  auto& cols = thread_buffers(cols_);
  for_image_ranges(g.N, cols.size(), [&](std::size_t t, std::size_t first, std::size_t end) {
    cols[t].resize(R * Q);
    for (std::size_t n = first; n < end; ++n) {
      // dcols = wᵀ · dy_n, then back onto the pixels.
      sgemm(true, false, R, Q, g.C_out, w, dy + n * g.C_out * Q, cols[t].data(), false);
      float* dx_n = dx + n * g.C_in * g.H * g.W;
      std::fill(dx_n, dx_n + g.C_in * g.H * g.W, 0.0f);
      roll_back(g, cols[t].data(), dx_n);
    }
  });
}

void Im2colConvolution::backward_weights(const reference::Conv2dGeometry& g, const float* x,
                                         const float* dy, float* dw, float* db,
                                         std::size_t dy_block) {
  const std::size_t R = g.C_in * g.K * g.K, Q = g.H_out * g.W_out;
  const std::size_t channel_blocks = (g.C_out + dy_block - 1) / dy_block;
  const std::size_t padded_channels = channel_blocks * dy_block;
  auto& cols = thread_buffers(cols_);
  auto& partial = thread_buffers(partial_);
  // Zeroed here, not in the region: OpenMP may start fewer threads than asked, and a partial
  // left from an earlier call must not be added again.
  for (std::vector<float>& p : partial)
    p.assign(padded_channels * (R + 1), 0.0f);  // row o: [dw[o, :], db[o]]
  for_image_ranges(g.N, cols.size(), [&](std::size_t t, std::size_t first, std::size_t end) {
    // Row R of cols is all ones, so the same GEMM also sums dy over positions: column R of the
    // product is the bias gradient (a separate float sum is a serial dependency chain, 3x slower).
    cols[t].resize((R + 1) * Q);
    std::fill(cols[t].begin() + static_cast<std::ptrdiff_t>(R * Q), cols[t].end(), 1.0f);
    for (std::size_t n = first; n < end; ++n) {
      unroll(g, x + n * g.C_in * g.H * g.W, cols[t].data());
      // partial (C_out × (R + 1)) += dy_n (C_out × Q) · colsᵀ.
      const float* dy_n = dy + n * padded_channels * Q;
      if (dy_block == 1) {
        sgemm(false, true, g.C_out, R + 1, Q, dy_n, cols[t].data(), partial[t].data(), true);
      } else {
        for (std::size_t b = 0; b < channel_blocks; ++b)
          sgemm(true, true, dy_block, R + 1, Q, dy_n + b * Q * dy_block, cols[t].data(),
                partial[t].data() + b * dy_block * (R + 1), true);
      }
    }
  });
  for (const std::vector<float>& p : partial)
    for (std::size_t o = 0; o < g.C_out; ++o) {
      for (std::size_t r = 0; r < R; ++r) dw[o * R + r] += p[o * (R + 1) + r];
      if (db) db[o] += p[o * (R + 1) + R];
    }
}

}  // namespace gradlab::onednn
