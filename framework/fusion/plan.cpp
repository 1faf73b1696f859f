#include "framework/fusion/plan.h"

#include <type_traits>

#include "framework/fusion/onednn_chain.h"

namespace gradlab {

namespace {
FusionOptions& options() {
  static FusionOptions current;
  return current;
}
}  // namespace

void set_fusion_options(const FusionOptions& options_now) {
  options() = options_now;
}
const FusionOptions& fusion_options() {
  return options();
}

template <class T>
std::vector<Step<T>> plan_steps(Backend backend, const std::vector<Module<T>*>& modules) {
  std::vector<Step<T>> steps;
  for (std::size_t i = 0; i < modules.size();) {
    if constexpr (std::is_same_v<T, float>) {
      if (backend == Backend::onednn) {
        if (std::shared_ptr<OnednnChain> chain = OnednnChain::match(modules, i, fusion_options())) {
          chain->set_needs_input_grad(modules[i]->needs_input_grad());
          const std::size_t count = chain->module_count();
          steps.push_back({chain.get(), i, i + count - 1, chain});
          i += count;
          continue;
        }
      }
    }
    steps.push_back({modules[i], i, i, nullptr});
    ++i;
  }
  return steps;
}

template std::vector<Step<float>> plan_steps(Backend, const std::vector<Module<float>*>&);
template std::vector<Step<double>> plan_steps(Backend, const std::vector<Module<double>*>&);

}  // namespace gradlab
