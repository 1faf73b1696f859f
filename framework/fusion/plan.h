// Fusion: what a backend runs for a list of modules, as steps — each step one of the modules, or
// one fused module standing for a run of them, as the backend's registered fuser decides. On the
// oneDNN backend (float32) every run of Conv2d, BatchNorm2d, ReLU, MaxPool2d and residual blocks
// of them holding a Conv2d becomes one OnednnChain, whose activations stay in oneDNN's layouts from
// its first layer to its last (fusion/onednn_chain.h); the reference backend, and float64 on any
// backend, run each module by itself. Containers (Sequential) run what this returns and know
// nothing of backends; the modules, their parameters and their names are the same either way.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "framework/kernels/backend.h"
#include "framework/module.h"

namespace gradlab {

// What fusion may do on the oneDNN backend; all of it by default. The benchmark switches parts
// off to measure what each is worth (bench/gradlab_bench.cpp, "batchnorm").
struct FusionOptions {
  bool batch_norm = true;       // BatchNorm2d runs in chains, on oneDNN's primitive
  bool batch_norm_relu = true;  // ...with a ReLU after it inside (fuse_norm_relu)
  bool residual = true;         // residual blocks run in chains, their sum in blocked layouts
};
// The options plan_steps uses from now on (for the process; containers re-plan on set_backend).
void set_fusion_options(const FusionOptions& options);
const FusionOptions& fusion_options();

// What a backend fuses (float32): from modules[first] on, the longest run it runs as one step,
// and how many modules that step stands for; a null step where it fuses nothing there. A backend
// that fuses registers its fuser from its own file (fusion/onednn_chain.cpp), so the planner
// names no backend.
struct FusedRun {
  std::shared_ptr<Module<float>> step;
  std::size_t count = 0;
};
using Fuser = std::function<FusedRun(const std::vector<Module<float>*>& modules, std::size_t first,
                                     const FusionOptions& options)>;
struct FuserRegistration {
  // Throws std::logic_error if the backend has a fuser already.
  FuserRegistration(Backend backend, Fuser fuser);
};

template <class T>
struct Step {
  Module<T>* module;        // what runs: one of the modules, or `fused`
  std::size_t first, last;  // the positions of the modules it stands for (for error messages)
  std::shared_ptr<Module<T>> fused;  // owns the fused module, if this step is one
};

// The steps for these modules (non-null), each fused step taking its needs_input_grad from the
// first module it stands for.
template <class T>
std::vector<Step<T>> plan_steps(Backend backend, const std::vector<Module<T>*>& modules);

}  // namespace gradlab
