#include "framework/kernels/onednn/chain/residual.h"

#include <algorithm>
#include <stdexcept>

#include "framework/kernels/onednn/context.h"
#include "framework/kernels/simd.h"

namespace gradlab::onednn {

using dnnl::memory;

// Memory-bound loops: compiled for AVX2 where the CPU has it (kernels/simd.h), four bytes of
// traffic per flop either way.
void residual_sum(const float* a, const float* b, float* y, std::size_t n, bool relu) {
  if (relu) {
    parallel_for_simd(
        n, [=](std::size_t begin, std::size_t end) __attribute__((always_inline)) {
          for (std::size_t i = begin; i < end; ++i) {
            const float z = a[i] + b[i];
            y[i] = z > 0.0f ? z : 0.0f;
          }
        });
  } else {
    parallel_for_simd(
        n, [=](std::size_t begin, std::size_t end) __attribute__((always_inline)) {
          for (std::size_t i = begin; i < end; ++i) y[i] = a[i] + b[i];
        });
  }
}

void residual_sum_backward(const float* dy, const float* y, float* dz, float* dz_copy,
                           std::size_t n, bool relu) {
  if (!relu) {
    if (dz != dy) std::copy(dy, dy + n, dz);
    if (dz_copy) std::copy(dy, dy + n, dz_copy);
    return;
  }
  // Both operands loaded before the select, so that it compiles to no branch (layers/relu.h).
  if (!dz_copy) {
    parallel_for_simd(
        n, [=](std::size_t begin, std::size_t end) __attribute__((always_inline)) {
          for (std::size_t i = begin; i < end; ++i) {
            const float upstream = dy[i];
            dz[i] = y[i] > 0.0f ? upstream : 0.0f;
          }
        });
    return;
  }
  parallel_for_simd(
      n, [=](std::size_t begin, std::size_t end) __attribute__((always_inline)) {
        for (std::size_t i = begin; i < end; ++i) {
          const float upstream = dy[i];
          const float masked = y[i] > 0.0f ? upstream : 0.0f;
          dz[i] = masked;
          dz_copy[i] = masked;
        }
      });
}

void accumulate(float* y, const float* x, std::size_t n) {
  parallel_for_simd(
      n, [=](std::size_t begin, std::size_t end) __attribute__((always_inline)) {
        for (std::size_t i = begin; i < end; ++i) y[i] += x[i];
      });
}

namespace {
std::size_t floats(const memory::desc& desc) {
  return desc.get_size() / sizeof(float);
}
}  // namespace

ResidualOp::ResidualOp(const std::vector<Chain::Layer>& body,
                       const std::vector<Chain::Layer>& shortcut, bool relu,
                       const memory::desc& offered, Precision precision)
    : body_(body, offered, precision), relu_(relu) {
  if (!shortcut.empty()) shortcut_ = std::make_unique<OpSequence>(shortcut, offered, precision);
  const memory::desc& skip = shortcut_ ? shortcut_->dst_desc() : offered;
  if (skip.dims() != body_.dst_desc().dims())
    throw std::invalid_argument("ResidualOp: the body and the shortcut output different shapes");
  skip_layout_ = InputLayout(skip, body_.dst_desc());
}

std::size_t ResidualOp::parameter_count() const {
  return body_.parameter_count() + (shortcut_ ? shortcut_->parameter_count() : 0);
}

void ResidualOp::forward(const memory& src, const memory& dst, const LayerParameters* parameters,
                         Laps& laps) {
  const memory& body = body_.forward(src, parameters, nullptr, &laps);
  const memory skip = skip_layout_(
      shortcut_ ? shortcut_->forward(src, parameters + body_.parameter_count(), nullptr, &laps)
                : src);
  laps.lap(Work::reorder);
  residual_sum(data(body), data(skip), data(dst), floats(dst_desc()), relu_);
  laps.lap(Work::residual_sum);
}

void ResidualOp::make_backward() {
  if (has_backward_) return;
  // The body runs its backward after the shortcut, and the identity reads dz after the body.
  body_gradient_copied_ =
      body_.overwrites_diff_dst() || (shortcut_ && shortcut_->overwrites_diff_dst());
  if (body_gradient_copied_) body_gradient_ = body_.make_output_gradient();
  if (shortcut_) {
    to_shortcut_gradient_ = InputLayout(body_.dst_desc(), shortcut_->dst_desc());
    skip_input_gradient_ = memory(shortcut_->src_desc(), cpu_engine());
  } else {
    identity_to_src_ = InputLayout(body_.dst_desc(), body_.src_desc());
  }
  has_backward_ = true;
}

void ResidualOp::backward(const memory&, const memory& dst, const memory& diff_dst,
                          const memory* diff_src, const LayerParameters* parameters, Laps& laps) {
  make_backward();
  // dz, in place in diff_dst (ours to overwrite), and in the body's own copy if it needs one.
  residual_sum_backward(data(diff_dst), data(dst), data(diff_dst),
                        body_gradient_copied_ ? data(body_gradient_) : nullptr, floats(dst_desc()),
                        relu_);
  laps.lap(Work::residual_sum);
  if (shortcut_) {  // first: it reads x, over which the body may write dx
    const memory gradient = to_shortcut_gradient_(diff_dst);
    laps.lap(Work::reorder);
    shortcut_->backward(gradient, diff_src ? &skip_input_gradient_ : nullptr,
                        parameters + body_.parameter_count(), nullptr, &laps);
  }
  body_.backward(body_gradient_copied_ ? body_gradient_ : diff_dst, diff_src, parameters, nullptr,
                 &laps);
  if (!diff_src) return;
  const memory skip = shortcut_ ? skip_input_gradient_ : identity_to_src_(diff_dst);
  laps.lap(Work::reorder);
  accumulate(data(*diff_src), data(skip), floats(src_desc()));
  laps.lap(Work::residual_sum);
}

std::vector<std::string> ResidualOp::implementations() {
  make_backward();
  std::vector<std::string> names = body_.implementations();
  if (shortcut_)
    for (const std::string& name : shortcut_->implementations()) names.push_back(name);
  for (const std::string& name :
       {skip_layout_.implementation(), to_shortcut_gradient_.implementation(),
        identity_to_src_.implementation()})
    if (!name.empty()) names.push_back("reorder " + name);
  names.push_back("gradlab:residual_sum");
  return names;
}

std::size_t ResidualOp::inner_reorders() const {
  return body_.reorders(true) + (shortcut_ ? shortcut_->reorders(true) : 0) +
         !skip_layout_.implementation().empty();
}

void ResidualOp::visit_inner_outputs(const OpOutputVisitor& visit) const {
  body_.visit_outputs(visit);
  if (shortcut_) shortcut_->visit_outputs(visit);
}

}  // namespace gradlab::onednn
