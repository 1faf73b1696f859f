// ReLU inside a chain, on whatever layout its input has (layers/relu.h has the math):
//   forward:   y = max(0, x)
//   backward:  dx = dy · [y > 0]
// element by element over the whole buffer: a blocked layout's padding channels hold zeros,
// which stay zeros both ways, as oneDNN expects of them.
#pragma once

#include "framework/kernels/onednn/chain/op.h"

namespace gradlab::onednn {

// y = max(0, x) and dx = dy · [y > 0] over a whole buffer (a blocked layout's padding included),
// on both threads; in place too (y = x, dx = dy): each element is read before it is written.
// Also the convolution's and batch norm's ReLU where oneDNN does not apply it.
void relu_forward(const float* x, float* y, std::size_t count);
void relu_backward(const float* y, const float* dy, float* dx, std::size_t count);

class ReluOp : public Op {
 public:
  explicit ReluOp(const dnnl::memory::desc& offered) : layout_(offered) {}

  const dnnl::memory::desc& src_desc() const override { return layout_; }
  const dnnl::memory::desc& dst_desc() const override { return layout_; }
  bool reads_dst_in_backward() const override { return true; }
  void forward(const dnnl::memory& src, const dnnl::memory& dst, const LayerParameters*,
               Laps& laps) override;
  void backward(const dnnl::memory& src, const dnnl::memory& dst, const dnnl::memory& diff_dst,
                const dnnl::memory* diff_src, const LayerParameters*, Laps& laps) override;
  std::vector<std::string> implementations() override { return {"gradlab:relu"}; }

 private:
  dnnl::memory::desc layout_;
};

}  // namespace gradlab::onednn
