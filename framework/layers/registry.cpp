#include "framework/layers/registry.h"

#include <algorithm>
#include <map>
#include <stdexcept>

namespace gradlab {

namespace {
// Made on first use, so that registrations from any file's static initialisation find it.
std::map<std::string, LayerType>& registry() {
  static std::map<std::string, LayerType> types;
  return types;
}
}  // namespace

template <>
std::unique_ptr<Module<float>> LayerType::make(LayerConfig<float>& config) const {
  return make_float(config);
}
template <>
std::unique_ptr<Module<double>> LayerType::make(LayerConfig<double>& config) const {
  return make_double(config);
}

void register_layer_type(LayerType type) {
  if (type.name.empty() || !type.make_float || !type.make_double)
    throw std::logic_error("register_layer_type: a type needs a name and both factories");
  const std::string name = type.name;
  if (!registry().emplace(name, std::move(type)).second)
    throw std::logic_error("register_layer_type: two layer types named \"" + name + "\"");
}

const LayerType* find_layer_type(const std::string& name) {
  const auto found = registry().find(name);
  return found == registry().end() ? nullptr : &found->second;
}

std::vector<std::string> layer_type_names() {
  std::vector<std::string> names;
  for (const auto& [name, type] : registry()) names.push_back(name);
  return names;
}

}  // namespace gradlab
