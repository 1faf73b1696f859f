#include "framework/kernels/onednn/chain/max_pool.h"

#include <stdexcept>

#include "framework/kernels/onednn/chain/chain.h"
#include "framework/kernels/simd.h"

namespace gradlab::onednn {

using dnnl::memory;
using tag = memory::format_tag;

MaxPoolOp::MaxPoolOp(const memory::desc& offered, std::size_t K, std::size_t S, bool relu_before)
    : relu_before_(relu_before) {
  if (!supports(K)) throw std::invalid_argument("MaxPoolOp: window over 256 positions");
  const memory::dims in = offered.dims();
  const auto N = static_cast<std::size_t>(in[0]), C = static_cast<std::size_t>(in[1]),
             H = static_cast<std::size_t>(in[2]), W = static_cast<std::size_t>(in[3]);
  const std::size_t H_out = (H - K) / S + 1, W_out = (W - K) / S + 1;
  // Pool in the layout offered when the kernels know it, else in nChw8c (the least padding).
  tag layout = tag::nChw8c;
  block_ = 8;
  if (offered == memory::desc(in, memory::data_type::f32, tag::nChw16c)) {
    layout = tag::nChw16c;
    block_ = 16;
  }
  src_ = memory::desc(in, memory::data_type::f32, layout);
  const memory::dims out{in[0], in[1], static_cast<memory::dim>(H_out),
                         static_cast<memory::dim>(W_out)};
  dst_ = memory::desc(out, memory::data_type::f32, layout);
  geometry_ = {N, (C + block_ - 1) / block_, H, W, K, S, H_out, W_out};
  argmax_.resize(dst_.get_size() / sizeof(float));
}

void MaxPoolOp::forward(const memory& src, const memory& dst, const LayerParameters*, Laps& laps) {
  const auto* x = static_cast<const float*>(src.get_data_handle());
  auto* y = static_cast<float*>(dst.get_data_handle());
  if (block_ == 8)
    blocked_maxpool_forward<8>(geometry_, x, y, argmax_.data());
  else
    blocked_maxpool_forward<16>(geometry_, x, y, argmax_.data());
  laps.lap(Work::pooling);
}

void MaxPoolOp::backward(const memory&, const memory& dst, const memory& diff_dst,
                         const memory* diff_src, const LayerParameters*, Laps& laps) {
  if (!diff_src) return;
  const auto* dy = static_cast<const float*>(diff_dst.get_data_handle());
  const auto* y = static_cast<const float*>(dst.get_data_handle());
  auto* dx = static_cast<float*>(diff_src->get_data_handle());
  if (block_ == 8)
    blocked_maxpool_backward<8>(geometry_, dy, y, argmax_.data(), dx, relu_before_);
  else
    blocked_maxpool_backward<16>(geometry_, dy, y, argmax_.data(), dx, relu_before_);
  laps.lap(Work::pooling);
}

std::vector<std::string> MaxPoolOp::implementations() {
  const bool avx2 = geometry_.K == 2 && geometry_.S == 2 && simd_level() == SimdLevel::avx2;
  return {avx2 ? "gradlab:blocked_maxpool_avx2" : "gradlab:blocked_maxpool"};
}

namespace {
const Chain::KindRegistration maxpool2d_kind("maxpool2d", [](const OpSpec<float>& op) {
  Chain::Layer layer{};
  layer.kind = Chain::Layer::Kind::max_pool;
  layer.kernel_size = op.kernel_size;
  layer.stride = op.stride;
  return layer;
});
}  // namespace

}  // namespace gradlab::onednn
