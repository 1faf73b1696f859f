#include "framework/kernels/onednn/chain/batch_norm.h"

#include <stdexcept>
#include <unordered_map>

#include "framework/kernels/onednn/chain/chain.h"
#include "framework/kernels/onednn/chain/relu.h"
#include "framework/kernels/onednn/context.h"
#include "framework/kernels/onednn/implementation.h"
#include "framework/log.h"

namespace gradlab::onednn {

using dnnl::memory;
using flags = dnnl::normalization_flags;
using tag = memory::format_tag;
using ForwardPd = dnnl::batch_normalization_forward::primitive_desc;
using BackwardPd = dnnl::batch_normalization_backward::primitive_desc;

namespace {

// A C-vector of ours (γ, β, running statistics) as a oneDNN memory, without a copy.
memory vector_memory(const memory::desc& desc, const float* values) {
  return memory(desc, cpu_engine(), const_cast<float*>(values));
}

// The statistics a pass normalises with: the batch's (a training forward computed them) or the
// running ones (evaluation: oneDNN's use_global_stats).
void add_statistics(std::unordered_map<int, memory>& arguments, bool batch_statistics,
                    const memory& batch_mean, const memory& batch_variance,
                    const memory::desc& vector, const LayerParameters& parameters) {
  if (batch_statistics) {
    arguments[DNNL_ARG_MEAN] = batch_mean;
    arguments[DNNL_ARG_VARIANCE] = batch_variance;
  } else {
    arguments[DNNL_ARG_MEAN] = vector_memory(vector, parameters.running_mean);
    arguments[DNNL_ARG_VARIANCE] = vector_memory(vector, parameters.running_var);
  }
}

}  // namespace

struct BatchNormOp::Passes {
  flags normalization;
  ForwardPd forward_pd;
  dnnl::batch_normalization_forward forward;
  memory workspace;  // fused ReLU's mask, from forward to backward
  bool has_backward = false;
  BackwardPd backward_pd;
  dnnl::batch_normalization_backward backward;
};

BatchNormOp::BatchNormOp(const memory::desc& offered, float eps, double momentum, bool affine,
                         bool relu)
    : eps_(eps), momentum_(momentum), affine_(affine), relu_(relu) {
  const memory::dims shape = offered.dims();
  channels_ = static_cast<std::size_t>(shape[1]);
  per_channel_ = static_cast<std::size_t>(shape[0] * shape[2] * shape[3]);
  // The layout offered first, then the ones oneDNN's kernels are written for; in each, fused
  // with the ReLU first. The first with an acceptable (non-reference) implementation wins.
  const flags scale_shift = affine_ ? flags::use_scale | flags::use_shift : flags::none;
  std::vector<dnnl::batch_normalization_forward::desc> candidates;
  struct Candidate {
    memory::desc layout;
    bool fused;
    flags normalization;
  };
  std::vector<Candidate> what;
  std::vector<memory::desc> layouts{offered};
  for (tag layout : {tag::nChw16c, tag::nChw8c, tag::nhwc, tag::nchw})
    layouts.emplace_back(shape, memory::data_type::f32, layout);
  for (const memory::desc& layout : layouts)
    for (bool fused : {true, false}) {
      if (fused && !relu_) continue;
      const flags normalization = fused ? scale_shift | flags::fuse_norm_relu : scale_shift;
      candidates.emplace_back(dnnl::prop_kind::forward_training, layout, eps_, normalization);
      what.push_back({layout, fused, normalization});
    }
  const auto make = [](const auto& desc) { return ForwardPd(desc, cpu_engine()); };
  auto chosen = choose(candidates, make);
  if (!chosen) {
    // Every layout has only oneDNN's reference kernel (or the tests refuse them all): slow, but
    // a training run that works beats one that stops. The unfused, offered-layout candidate.
    const std::size_t fallback = relu_ ? 1 : 0;
    chosen.emplace(Choice<ForwardPd>{make(candidates[fallback]), fallback, true});
    notice_once("BatchNorm2d on " + std::to_string(channels_) + "-channel inputs runs " +
                chosen->pd.impl_info_str() +
                ", as oneDNN has only reference kernels for it here: expect it to be slow");
  }
  layout_ = what[chosen->candidate].layout;
  relu_fused_ = what[chosen->candidate].fused;
  // The training pass, made now: the statistics' buffers take its layouts.
  training_passes_ = std::make_unique<Passes>();
  training_passes_->normalization = what[chosen->candidate].normalization;
  training_passes_->forward_pd = chosen->pd;
  training_passes_->forward = dnnl::batch_normalization_forward(chosen->pd);
  if (relu_fused_) training_passes_->workspace = memory(chosen->pd.workspace_desc(), cpu_engine());
  mean_ = memory(chosen->pd.mean_desc(), cpu_engine());
  variance_ = memory(chosen->pd.variance_desc(), cpu_engine());
}

BatchNormOp::~BatchNormOp() = default;

BatchNormOp::Passes& BatchNormOp::passes(bool training) {
  if (training) return *training_passes_;
  if (!evaluation_passes_) {
    // Evaluation reads the running statistics (use_global_stats). It still runs as a training
    // pass, so that a backward pass after it has the fused ReLU's workspace.
    auto p = std::make_unique<Passes>();
    p->normalization = training_passes_->normalization | flags::use_global_stats;
    p->forward_pd = ForwardPd({dnnl::prop_kind::forward_training, layout_, eps_, p->normalization},
                              cpu_engine());
    p->forward = dnnl::batch_normalization_forward(p->forward_pd);
    if (relu_fused_) p->workspace = memory(p->forward_pd.workspace_desc(), cpu_engine());
    evaluation_passes_ = std::move(p);
  }
  return *evaluation_passes_;
}

void BatchNormOp::make_backward(Passes& p) {
  if (p.has_backward) return;
  const auto kind = affine_ ? dnnl::prop_kind::backward : dnnl::prop_kind::backward_data;
  p.backward_pd =
      BackwardPd({kind, layout_, layout_, eps_, p.normalization}, cpu_engine(), p.forward_pd);
  p.backward = dnnl::batch_normalization_backward(p.backward_pd);
  p.has_backward = true;
}

void BatchNormOp::forward(const memory& src, const memory& dst, const LayerParameters* parameters,
                          Laps& laps) {
  if (!parameters) throw std::logic_error("BatchNormOp::forward without its parameters");
  const bool training = parameters->batch_statistics;
  Passes& p = passes(training);
  last_forward_training_ = training;
  const memory::desc& vector = p.forward_pd.mean_desc();
  std::unordered_map<int, memory> arguments{{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}};
  if (affine_) {
    arguments[DNNL_ARG_SCALE] = vector_memory(vector, parameters->weight);
    arguments[DNNL_ARG_SHIFT] = vector_memory(vector, parameters->bias);
  }
  if (relu_fused_) arguments[DNNL_ARG_WORKSPACE] = p.workspace;
  add_statistics(arguments, training, mean_, variance_, vector, *parameters);
  p.forward.execute(cpu_stream(), arguments);
  if (training) {
    // PyTorch's running statistics: the variance unbiased, m/(m − 1) (layers/batchnorm.h).
    const float* mean = data(mean_);
    const float* variance = data(variance_);
    const double m = static_cast<double>(per_channel_), keep = 1 - momentum_;
    for (std::size_t c = 0; c < channels_; ++c) {
      float& running_mean = parameters->running_mean[c];
      float& running_var = parameters->running_var[c];
      running_mean = static_cast<float>(keep * running_mean + momentum_ * mean[c]);
      running_var = static_cast<float>(keep * running_var + momentum_ * variance[c] * m / (m - 1));
    }
  }
  if (relu_ && !relu_fused_) relu_forward(data(dst), data(dst), layout_.get_size() / sizeof(float));
  laps.lap(Work::batch_norm);
}

void BatchNormOp::backward(const memory& src, const memory& dst, const memory& diff_dst,
                           const memory* diff_src, const LayerParameters* parameters, Laps& laps) {
  if (!parameters) throw std::logic_error("BatchNormOp::backward without its parameters");
  Passes& p = passes(last_forward_training_);
  make_backward(p);
  // ReLU's backward first: dy · [y > 0], in place (diff_dst is ours to overwrite).
  if (relu_ && !relu_fused_)
    relu_backward(data(dst), data(diff_dst), data(diff_dst), layout_.get_size() / sizeof(float));
  const memory::desc& vector = p.forward_pd.mean_desc();
  if (!diff_src && !diff_src_scratch_) diff_src_scratch_ = memory(layout_, cpu_engine());
  std::unordered_map<int, memory> arguments{
      {DNNL_ARG_SRC, src},
      {DNNL_ARG_DIFF_DST, diff_dst},
      {DNNL_ARG_DIFF_SRC, diff_src ? *diff_src : diff_src_scratch_}};
  add_statistics(arguments, last_forward_training_, mean_, variance_, vector, *parameters);
  if (relu_fused_) arguments[DNNL_ARG_WORKSPACE] = p.workspace;
  if (affine_) {
    if (!diff_scale_) {
      diff_scale_ = memory(vector, cpu_engine());
      diff_shift_ = memory(vector, cpu_engine());
    }
    // oneDNN 2.6's backward pass takes β too when the forward's flags have use_shift.
    arguments[DNNL_ARG_SCALE] = vector_memory(vector, parameters->weight);
    arguments[DNNL_ARG_SHIFT] = vector_memory(vector, parameters->bias);
    arguments[DNNL_ARG_DIFF_SCALE] = diff_scale_;
    arguments[DNNL_ARG_DIFF_SHIFT] = diff_shift_;
  }
  p.backward.execute(cpu_stream(), arguments);
  if (affine_) {
    // oneDNN writes dγ and dβ; parameter gradients accumulate.
    const float* dgamma = data(diff_scale_);
    const float* dbeta = data(diff_shift_);
    for (std::size_t c = 0; c < channels_; ++c) {
      parameters->weight_grad[c] += dgamma[c];
      parameters->bias_grad[c] += dbeta[c];
    }
  }
  laps.lap(Work::batch_norm);
}

std::vector<std::string> BatchNormOp::implementations() {
  Passes& p = passes(true);
  make_backward(p);
  return {p.forward_pd.impl_info_str(), p.backward_pd.impl_info_str()};
}

namespace {
// BatchNorm2d layers run here (framework/layers/batchnorm.h); BatchNorm1d's inputs are not images.
const Chain::KindRegistration batchnorm2d_kind("batchnorm2d", [](const OpSpec<float>& op) {
  Chain::Layer layer{};
  layer.kind = Chain::Layer::Kind::batch_norm;
  layer.bias = op.weight != nullptr;  // affine: γ and β
  layer.eps = op.eps;
  layer.momentum = op.momentum;
  return layer;
});
}  // namespace

}  // namespace gradlab::onednn
