#include "framework/kernels/onednn/chain/relu.h"

#include "framework/kernels/onednn/chain/chain.h"
#include "framework/parallel.h"

namespace gradlab::onednn {

void relu_forward(const float* x, float* y, std::size_t count) {
  parallel_for(count, [=](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
  });
}

void relu_backward(const float* y, const float* dy, float* dx, std::size_t count) {
  // Both operands loaded before the select, so that it compiles to no branch (layers/relu.h).
  parallel_for(count, [=](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      const float upstream = dy[i];
      dx[i] = y[i] > 0.0f ? upstream : 0.0f;
    }
  });
}

void ReluOp::forward(const dnnl::memory& src, const dnnl::memory& dst, const LayerParameters*,
                     Laps& laps) {
  relu_forward(static_cast<const float*>(src.get_data_handle()),
               static_cast<float*>(dst.get_data_handle()), layout_.get_size() / sizeof(float));
  laps.lap(Work::relu);
}

void ReluOp::backward(const dnnl::memory&, const dnnl::memory& dst, const dnnl::memory& diff_dst,
                      const dnnl::memory* diff_src, const LayerParameters*, Laps& laps) {
  if (!diff_src) return;
  relu_backward(static_cast<const float*>(dst.get_data_handle()),
                static_cast<const float*>(diff_dst.get_data_handle()),
                static_cast<float*>(diff_src->get_data_handle()),
                layout_.get_size() / sizeof(float));
  laps.lap(Work::relu);
}

namespace {
const Chain::KindRegistration relu_kind("relu", [](const OpSpec<float>&) {
  Chain::Layer layer{};
  layer.kind = Chain::Layer::Kind::relu;
  return layer;
});
}  // namespace

}  // namespace gradlab::onednn
