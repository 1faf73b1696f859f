#include "framework/kernels/onednn/context.h"

#include <utility>

#include <oneapi/dnnl/dnnl.hpp>

namespace gradlab::onednn {

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& cpu_stream() {
  static dnnl::stream stream(cpu_engine());
  return stream;
}

namespace {
// Whether the instruction set oneDNN runs with contains `set` (their values are bit masks, each
// set's bits those of the sets it extends).
bool isa_includes(dnnl::cpu_isa set) {
  const auto bits = static_cast<unsigned>(set);
  return (static_cast<unsigned>(dnnl::get_effective_cpu_isa()) & bits) == bits;
}
}  // namespace

std::string cpu_isa() {
  using isa = dnnl::cpu_isa;
  // Longest first: the names of the sets that contain the others.
  const std::pair<isa, const char*> names[] = {{isa::avx512_core_amx, "avx512_core_amx"},
                                               {isa::avx512_core_bf16, "avx512_core_bf16"},
                                               {isa::avx512_core_vnni, "avx512_core_vnni"},
                                               {isa::avx512_core, "avx512_core"},
                                               {isa::avx512_mic_4ops, "avx512_mic_4ops"},
                                               {isa::avx512_mic, "avx512_mic"},
                                               {isa::avx2_vnni, "avx2_vnni"},
                                               {isa::avx2, "avx2"},
                                               {isa::avx, "avx"},
                                               {isa::sse41, "sse41"}};
  for (const auto& [set, name] : names)
    if (isa_includes(set)) return name;
  return "baseline x86-64";
}

bool cpu_isa_has_avx2() {
  return isa_includes(dnnl::cpu_isa::avx2);
}

bool bf16_slower_than_f32() {
  return cpu_isa_has_bf16() && !isa_includes(dnnl::cpu_isa::avx512_core_amx) &&
         __builtin_cpu_is("intel");
}

bool cpu_isa_has_bf16() {
  return isa_includes(dnnl::cpu_isa::avx512_core_bf16);
}

}  // namespace gradlab::onednn
