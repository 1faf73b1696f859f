// Choosing oneDNN implementations, never a reference one.
//
// For each primitive descriptor oneDNN lists the implementations that can run it, fastest
// first; the last resort, names starting with "ref", are plain loops 100–400× slower than its
// JIT kernels (../shared/notes/onednn.md). Which ones exist depends on the CPU's instruction set
// and on the layouts the descriptor pins: on an AVX-512 EPYC, backward-weights of a 27-channel,
// 3×3, stride-2 convolution with its input pinned to nChw16c had only ref:any (313 ms a step),
// while the same pass with the layouts left to oneDNN ran jit:avx2 (docs/decisions.md). So every
// primitive is chosen from a list of candidates, descriptors in order of preference: the first
// acceptable implementation of the first candidate that has one wins, and a caller left with
// none runs a path of its own (im2col + sgemm for a convolution).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

namespace gradlab::onednn {

// Whether an implementation may run: its name starts neither with "ref" nor with a prefix
// rejected by set_rejected_implementations().
bool acceptable(const std::string& implementation);

// Tests: reject implementations whose names start with one of these prefixes as well, to force
// the paths taken where oneDNN has nothing acceptable; {} restores the default (only "ref").
void set_rejected_implementations(std::vector<std::string> prefixes);

// The chosen descriptor, the index of the candidate it came from, and whether it is oneDNN's
// first implementation for that candidate (false: oneDNN's own first pick was refused).
template <class PrimitiveDesc>
struct Choice {
  PrimitiveDesc pd;
  std::size_t candidate;
  bool first_implementation;
  // oneDNN's own first pick for candidate i.
  bool first_of(std::size_t i) const { return candidate == i && first_implementation; }
};

// Tries each candidate operation descriptor in turn, made into a primitive descriptor by
// `make` (one oneDNN cannot build at all is skipped), and for each, oneDNN's implementations in
// its order of preference; returns the first acceptable one that also `suits` the caller (a
// predicate on the primitive descriptor, e.g. on the layouts it chose; nullptr: any), or
// nothing. The candidates are taken by reference and must live until this returns: oneDNN
// 2.6's implementation iterator keeps a pointer to the operation descriptor, and next_impl()
// on a temporary one read freed memory (a crash that came and went with address randomisation).
template <class OpDesc, class Make, class Suits = std::nullptr_t>
auto choose(const std::vector<OpDesc>& candidates, Make&& make, Suits&& suits = nullptr)
    -> std::optional<Choice<decltype(make(candidates.front()))>> {
  using PrimitiveDesc = decltype(make(candidates.front()));
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    PrimitiveDesc pd;
    try {
      pd = make(candidates[i]);
    } catch (const dnnl::error&) {
      continue;
    }
    bool first = true;
    do {
      bool suited = true;
      if constexpr (!std::is_null_pointer_v<std::decay_t<Suits>>) suited = suits(pd);
      if (suited && acceptable(pd.impl_info_str())) return Choice<PrimitiveDesc>{pd, i, first};
      first = false;
    } while (pd.next_impl());
  }
  return std::nullopt;
}

// For a pass whose data is already in some layouts: `fitted`, the descriptor pinned to them, and
// `preferred`, descriptors in order of preference (oneDNN's free choice first). The fitted one
// wins when oneDNN runs the same implementation on it as on the first acceptable preferred one
// (the same kernel, without reorders), or when no preferred one has an acceptable
// implementation. as_usual: the result runs oneDNN's own first pick for one of the first
// `usual` preferred candidates (false: those picks were refused, and a notice is due).
template <class PrimitiveDesc>
struct Chosen {
  PrimitiveDesc pd;
  bool as_usual;
};
template <class OpDesc, class Make>
auto choose_fitted(const OpDesc& fitted, const std::vector<OpDesc>& preferred, Make&& make,
                   std::size_t usual = 1)
    -> std::optional<Chosen<decltype(make(preferred.front()))>> {
  using PrimitiveDesc = decltype(make(preferred.front()));
  const std::vector<OpDesc> fitted_only{fitted};
  const auto best = choose(preferred, make);
  const auto fit = choose(fitted_only, make);
  bool as_usual = false;
  for (std::size_t i = 0; best && i < usual; ++i) as_usual = as_usual || best->first_of(i);
  if (fit && (!best || fit->pd.impl_info_str() == best->pd.impl_info_str()))
    return Chosen<PrimitiveDesc>{fit->pd, as_usual};
  if (best) return Chosen<PrimitiveDesc>{best->pd, as_usual};
  return std::nullopt;
}

// The layout of a 4-D activation for messages: "nchw", "nhwc", "nChw8c", "nChw16c" or "blocked".
std::string layout_name(const dnnl::memory::desc& desc);

}  // namespace gradlab::onednn
