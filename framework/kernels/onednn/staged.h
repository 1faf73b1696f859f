// Helpers shared by the oneDNN kernels: a caller's plain buffer staged through the layout a
// primitive wants, accumulating into a gradient, and dims from sizes.
#pragma once

#include <initializer_list>
#include <string>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "framework/kernels/onednn/context.h"

namespace gradlab::onednn {

// A caller's plain buffer, and the layout a primitive wants for it. When they differ, the data
// moves through an internal buffer in the wanted layout by a reorder built once.
class Staged {
 public:
  Staged() = default;
  Staged(const dnnl::memory::desc& plain, const dnnl::memory::desc& wanted)
      : user_(plain, cpu_engine(), DNNL_MEMORY_NONE) {
    if (wanted != plain) {
      internal_ = dnnl::memory(wanted, cpu_engine());
      const dnnl::reorder::primitive_desc to_internal(user_, internal_), to_user(internal_, user_);
      to_internal_ = dnnl::reorder(to_internal);
      to_user_ = dnnl::reorder(to_user);
      implementations_ = {to_internal.impl_info_str(), to_user.impl_info_str()};
    }
  }
  bool reorders() const { return bool(internal_); }
  // The implementations of the two reorders (none when the layouts agree).
  const std::vector<std::string>& implementations() const { return implementations_; }

  // The memory a primitive reads, holding the caller's data.
  dnnl::memory& input(const void* data) {
    user_.set_data_handle(const_cast<void*>(data));
    if (!reorders()) return user_;
    to_internal_.execute(cpu_stream(), user_, internal_);
    return internal_;
  }
  // The memory a primitive writes; call output_done() after it ran.
  dnnl::memory& output(void* data) {
    user_.set_data_handle(data);
    return reorders() ? internal_ : user_;
  }
  void output_done() {
    if (reorders()) to_user_.execute(cpu_stream(), internal_, user_);
  }
  // The wanted-layout memory as last filled by input() or by the primitive after output().
  dnnl::memory& staged() { return reorders() ? internal_ : user_; }

 private:
  dnnl::memory user_, internal_;
  dnnl::reorder to_internal_, to_user_;
  std::vector<std::string> implementations_;
};

// into[i] += from[i] for the first `count` floats of a plain memory: oneDNN overwrites the
// gradients it computes, ours accumulate (framework/module.h).
inline void add_into(float* into, const dnnl::memory& from, std::size_t count) {
  const auto* values = static_cast<const float*>(from.get_data_handle());
  for (std::size_t i = 0; i < count; ++i) into[i] += values[i];
}

inline dnnl::memory::dims dims(std::initializer_list<std::size_t> sizes) {
  dnnl::memory::dims d;
  for (std::size_t s : sizes) d.push_back(static_cast<dnnl::memory::dim>(s));
  return d;
}

}  // namespace gradlab::onednn
