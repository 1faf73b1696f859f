#include "framework/fusion/plan.h"

#include <map>
#include <stdexcept>
#include <type_traits>

namespace gradlab {

namespace {
FusionOptions& options() {
  static FusionOptions current;
  return current;
}
// Each backend's fuser, made on first use (registrations run at static initialisation).
std::map<Backend, Fuser>& fusers() {
  static std::map<Backend, Fuser> registered;
  return registered;
}
}  // namespace

FuserRegistration::FuserRegistration(Backend backend, Fuser fuser) {
  if (!fusers().emplace(backend, std::move(fuser)).second)
    throw std::logic_error("two fusers for the " + to_string(backend) + " backend");
}

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
    if constexpr (std::is_same_v<T, float>) {  // float64 always runs module by module
      const auto fuser = fusers().find(backend);
      if (fuser != fusers().end()) {
        const FusedRun run = fuser->second(modules, i, fusion_options());
        if (run.step) {
          run.step->set_needs_input_grad(modules[i]->needs_input_grad());
          steps.push_back({run.step.get(), i, i + run.count - 1, run.step});
          i += run.count;
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
