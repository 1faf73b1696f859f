#include "framework/kernels/onednn/eltwise.h"

#include <stdexcept>

#include "framework/kernels/onednn/context.h"

namespace gradlab::onednn {

using dnnl::memory;

namespace {
bool uses_dst_for_backward(dnnl::algorithm algorithm) {
  using a = dnnl::algorithm;
  for (a dst_algorithm : {a::eltwise_relu_use_dst_for_bwd, a::eltwise_tanh_use_dst_for_bwd,
                          a::eltwise_elu_use_dst_for_bwd, a::eltwise_sqrt_use_dst_for_bwd,
                          a::eltwise_logistic_use_dst_for_bwd, a::eltwise_exp_use_dst_for_bwd,
                          a::eltwise_clip_v2_use_dst_for_bwd})
    if (algorithm == dst_algorithm) return true;
  return false;
}
}  // namespace

// The primitives for n values, forward and backward (the latter made on first use).
struct EltwiseKernel::Plan {
  memory::desc layout;
  dnnl::eltwise_forward::primitive_desc forward_pd;
  dnnl::eltwise_forward forward;
  dnnl::eltwise_backward backward;
  std::string backward_implementation;  // empty until backward first runs
};

EltwiseKernel::EltwiseKernel(dnnl::algorithm algorithm, float alpha, float beta)
    : algorithm_(algorithm), alpha_(alpha), beta_(beta) {
  const std::string implementation = plan(1).forward_pd.impl_info_str();  // never a ref: one
  if (implementation.rfind("ref", 0) == 0)
    throw std::invalid_argument("oneDNN has only a reference implementation (" + implementation +
                                ") of this element-wise algorithm here");
}

EltwiseKernel::~EltwiseKernel() = default;

EltwiseKernel::Plan& EltwiseKernel::plan(std::size_t n) {
  std::unique_ptr<Plan>& slot = plans_[n];
  if (!slot) {
    auto made = std::make_unique<Plan>();
    made->layout =
        memory::desc({static_cast<memory::dim>(n)}, memory::data_type::f32, memory::format_tag::a);
    made->forward_pd = dnnl::eltwise_forward::primitive_desc(
        dnnl::eltwise_forward::desc(dnnl::prop_kind::forward_training, algorithm_, made->layout,
                                    alpha_, beta_),
        cpu_engine());
    made->forward = dnnl::eltwise_forward(made->forward_pd);
    slot = std::move(made);
  }
  return *slot;
}

void EltwiseKernel::forward(const float* x, float* y, std::size_t n) {
  if (n == 0) return;
  Plan& p = plan(n);
  memory src(p.layout, cpu_engine(), const_cast<float*>(x)), dst(p.layout, cpu_engine(), y);
  p.forward.execute(cpu_stream(), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
  cpu_stream().wait();
}

void EltwiseKernel::backward(const float* x, const float* y, const float* dy, float* dx,
                             std::size_t n) {
  if (n == 0) return;
  Plan& p = plan(n);
  if (p.backward_implementation.empty()) {
    const dnnl::eltwise_backward::primitive_desc backward_pd(
        dnnl::eltwise_backward::desc(algorithm_, p.layout, p.layout, alpha_, beta_), cpu_engine(),
        p.forward_pd);
    p.backward = dnnl::eltwise_backward(backward_pd);
    p.backward_implementation = backward_pd.impl_info_str();
  }
  const bool from_dst = uses_dst_for_backward(algorithm_);
  memory data(p.layout, cpu_engine(), const_cast<float*>(from_dst ? y : x)),
      diff_dst(p.layout, cpu_engine(), const_cast<float*>(dy)),
      diff_src(p.layout, cpu_engine(), dx);
  p.backward.execute(cpu_stream(), {{from_dst ? DNNL_ARG_DST : DNNL_ARG_SRC, data},
                                    {DNNL_ARG_DIFF_DST, diff_dst},
                                    {DNNL_ARG_DIFF_SRC, diff_src}});
  cpu_stream().wait();
}

bool EltwiseKernel::backward_reads_input() const {
  return !uses_dst_for_backward(algorithm_);
}

std::string EltwiseKernel::implementation() const {
  // The plan of the largest n: its forward, and its backward once that has run.
  const Plan& p = *plans_.rbegin()->second;
  std::string text = std::string("onednn:") + p.forward_pd.impl_info_str();
  if (!p.backward_implementation.empty()) text += ", onednn:" + p.backward_implementation;
  return text;
}

EltwiseRegistration::EltwiseRegistration(const std::string& kind, dnnl::algorithm algorithm,
                                         float alpha, float beta) {
  register_elementwise_kernel<float>(
      Backend::onednn, kind,
      [algorithm, alpha, beta](const OpSpec<float>&) -> std::unique_ptr<ElementwiseKernel<float>> {
        return std::make_unique<EltwiseKernel>(algorithm, alpha, beta);
      });
}

}  // namespace gradlab::onednn
