// Max-pooling on oneDNN's channel-blocked layout nChw{B}c (B = 8 on AVX2, 16 on AVX-512), where
// element (n, c, h, w) lives at
//   ((n·⌈C/B⌉ + ⌊c/B⌋)·H + h)·W + w)·B + c mod B.
// The B channels of one pixel are adjacent, so every step below is one B-wide vector operation:
// portable four-wide vectors for any window, AVX2 for 2 × 2 windows with stride 2 when the CPU
// has it. oneDNN 2.6's own pooling on this layout took 1.1 ms forward and 0.8 ms backward for
// 64×16×28×28 on this AVX2 machine — more than the convolution before it; these take 0.09 ms
// each way with AVX2 (0.16 and 0.14 ms four-wide), on 2 threads. The math is layers/maxpool2d.h's
// (K × K windows, stride S, no padding, the first maximum in row-major order wins a tie); the fused
// block that uses them is tested against that layer.
//   forward:   y[…, i, j, ·] = max_{u,v} x[…, i·S + u, j·S + v, ·],  argmax = u·K + v of the max
//   backward:  dx[…, i·S + u, j·S + v, ·] += g[…, i, j, ·] where argmax = u·K + v, with
//              g = dy, or g = dy · [y > 0] when a ReLU came before the pooling: ReLU's backward
//              folded in (kernels/onednn/chain/max_pool.h says why that is exact)
#pragma once

#include <cstddef>
#include <cstdint>

namespace gradlab::onednn {

struct BlockedPoolGeometry {
  std::size_t N, channel_blocks;  // channel_blocks = ⌈C / B⌉
  std::size_t H, W;               // input
  std::size_t K, S;               // window and stride (K·K ≤ 256: argmax fits a byte)
  std::size_t H_out, W_out;       // floor((H − K) / S) + 1, likewise for W
};

// Writes y and, per output element, the window position of its maximum.
template <std::size_t B>
void blocked_maxpool_forward(const BlockedPoolGeometry& g, const float* x, float* y,
                             std::uint8_t* argmax);

// Overwrites dx (input-sized) with the gradient of the pooling from dy and the forward's argmax;
// with relu_mask, of relu-then-pool, which also reads the forward's y (else y may be null).
template <std::size_t B>
void blocked_maxpool_backward(const BlockedPoolGeometry& g, const float* dy, const float* y,
                              const std::uint8_t* argmax, float* dx, bool relu_mask);

}  // namespace gradlab::onednn
