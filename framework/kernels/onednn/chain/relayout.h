// Moving data between layouts inside a chain's ops, with the reorder built once.
#pragma once

#include <string>

#include <oneapi/dnnl/dnnl.hpp>

#include "framework/kernels/onednn/context.h"

namespace gradlab::onednn {

// An operand a primitive reads in layout `wanted`, available in layout `given`.
class InputLayout {
 public:
  InputLayout() = default;
  InputLayout(const dnnl::memory::desc& given, const dnnl::memory::desc& wanted) {
    if (given == wanted) return;
    copy_ = dnnl::memory(wanted, cpu_engine());
    const dnnl::reorder::primitive_desc pd(cpu_engine(), given, cpu_engine(), wanted);
    reorder_ = dnnl::reorder(pd);
    implementation_ = pd.impl_info_str();
  }
  // `given`'s data in the wanted layout: `given` itself, or a copy reordered now.
  dnnl::memory operator()(dnnl::memory given) {
    if (!copy_) return given;
    reorder_.execute(cpu_stream(), given, copy_);
    return copy_;
  }
  // The reorder's implementation, "" when there is none.
  const std::string& implementation() const { return implementation_; }

 private:
  dnnl::memory copy_;
  dnnl::reorder reorder_;
  std::string implementation_;
};

// A result a primitive writes in layout `produced`, wanted in layout `wanted`.
class OutputLayout {
 public:
  OutputLayout() = default;
  OutputLayout(const dnnl::memory::desc& produced, const dnnl::memory::desc& wanted) {
    if (produced == wanted) return;
    scratch_ = dnnl::memory(produced, cpu_engine());
    const dnnl::reorder::primitive_desc pd(cpu_engine(), produced, cpu_engine(), wanted);
    reorder_ = dnnl::reorder(pd);
    implementation_ = pd.impl_info_str();
  }
  // Where the primitive writes: `wanted` itself, or a scratch buffer in the produced layout...
  dnnl::memory target(dnnl::memory wanted) { return scratch_ ? scratch_ : wanted; }
  // ...from which this moves the result into `wanted`.
  void finish(dnnl::memory wanted) {
    if (scratch_) reorder_.execute(cpu_stream(), scratch_, wanted);
  }
  const std::string& implementation() const { return implementation_; }

 private:
  dnnl::memory scratch_;
  dnnl::reorder reorder_;
  std::string implementation_;
};

// A reorder from one layout into another, built once: a plain copy when the layouts agree.
class Transfer {
 public:
  Transfer() = default;
  Transfer(const dnnl::memory::desc& from, const dnnl::memory::desc& to)
      : pd_(cpu_engine(), from, cpu_engine(), to), reorder_(pd_) {}
  void operator()(dnnl::memory from, dnnl::memory to) { reorder_.execute(cpu_stream(), from, to); }
  std::string implementation() const { return pd_.impl_info_str(); }

 private:
  dnnl::reorder::primitive_desc pd_;
  dnnl::reorder reorder_;
};

}  // namespace gradlab::onednn
