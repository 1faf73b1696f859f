// Max-pooling inside a chain, on oneDNN's channel-blocked layouts nChw8c or nChw16c with gradlab's
// own kernels (blocked_maxpool.h says why not oneDNN's), K × K windows, stride S, no padding, the
// first maximum winning a tie (layers/maxpool2d.h has the math). An input in another layout is
// read in nChw8c (the chain reorders it).
//
// After a convolution with ReLU as its post-op, ReLU's backward is folded into this one:
//   relu'(pool_backward(dy)) = pool_backward(dy · [y > 0])
// which holds because the pooled maximum y is the ReLU output at the window's argmax, the only
// place pooling sends the gradient: masking dy before the scatter equals masking the scattered
// gradient after it, on a quarter of the elements (2 × 2 windows), and the convolution's output
// is then never read again in backward, so its gradient can take its buffer.
#pragma once

#include <cstdint>

#include "framework/kernels/onednn/blocked_maxpool.h"
#include "framework/kernels/onednn/chain/op.h"

namespace gradlab::onednn {

class MaxPoolOp : public Op {
 public:
  // Input N × C × H × W in the offered layout; window K, stride S; relu_before: fold the ReLU
  // before it into its backward, as above. Windows of more than 256 positions are not taken
  // (the argmax is a byte): supports() says so first.
  MaxPoolOp(const dnnl::memory::desc& offered, std::size_t K, std::size_t S, bool relu_before);
  static bool supports(std::size_t K) { return K * K <= 256; }

  const dnnl::memory::desc& src_desc() const override { return src_; }
  const dnnl::memory::desc& dst_desc() const override { return dst_; }
  bool reads_dst_in_backward() const override { return relu_before_; }
  void forward(const dnnl::memory& src, const dnnl::memory& dst, const LayerParameters*,
               Laps& laps) override;
  void backward(const dnnl::memory& src, const dnnl::memory& dst, const dnnl::memory& diff_dst,
                const dnnl::memory* diff_src, const LayerParameters*, Laps& laps) override;
  std::vector<std::string> implementations() override;

 private:
  dnnl::memory::desc src_, dst_;
  std::size_t block_;  // B of nChw{B}c
  BlockedPoolGeometry geometry_;
  bool relu_before_;
  std::vector<std::uint8_t> argmax_;  // per pooled element, blocked like it
};

}  // namespace gradlab::onednn
