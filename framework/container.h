// Container: a module made of child modules — the base of Sequential and of the graph containers
// to come (residual blocks, concatenations). It owns the children and does for them what every
// container must: names their parameters, buffers and RNG states under its own prefix (child
// "3" of a model gives "3.weight"; nested containers give "block.1.weight"), and passes
// train/eval, the backend and the precision down. How the children are wired — forward, backward,
// which of them need their input's gradient — is the subclass's.
#pragma once

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "framework/module.h"

namespace gradlab {

template <class T>
class Container : public Module<T> {
 public:
  std::size_t child_count() const { return children_.size(); }
  Module<T>& child(std::size_t index) { return *children_.at(index).second; }
  const Module<T>& child(std::size_t index) const { return *children_.at(index).second; }
  const std::string& child_name(std::size_t index) const { return children_.at(index).first; }

  std::vector<NamedParameter<T>> named_parameters() override {
    std::vector<NamedParameter<T>> named = Module<T>::named_parameters();
    for (auto& [prefix, module] : children_)
      for (const NamedParameter<T>& inner : module->named_parameters())
        named.push_back({prefix + "." + inner.name, inner.parameter});
    return named;
  }
  std::vector<NamedBuffer<T>> named_buffers() override {
    std::vector<NamedBuffer<T>> named = Module<T>::named_buffers();
    for (auto& [prefix, module] : children_)
      for (const NamedBuffer<T>& inner : module->named_buffers())
        named.push_back({prefix + "." + inner.name, inner.tensor});
    return named;
  }
  std::vector<std::pair<std::string, Rng*>> named_rngs() override {
    std::vector<std::pair<std::string, Rng*>> named = Module<T>::named_rngs();
    for (auto& [prefix, module] : children_)
      for (const auto& [name, rng] : module->named_rngs())
        named.emplace_back(prefix + "." + name, rng);
    return named;
  }

  // Every child given the container's input (a Residual's body and shortcut, a Concat's
  // branches); Sequential, whose children see each other's outputs, walks them in turn.
  std::size_t smallest_training_batch(const Shape& input_shape) const override {
    std::size_t smallest = 1;
    for (const auto& child : children_)
      smallest = std::max(smallest, child.second->smallest_training_batch(input_shape));
    return smallest;
  }

  void train(bool training = true) override {
    Module<T>::train(training);
    for (auto& child : children_) child.second->train(training);
  }
  void set_backend(Backend backend) override {
    Module<T>::set_backend(backend);
    for (auto& child : children_) child.second->set_backend(backend);
    children_changed();
  }
  void set_precision(Precision precision) override {
    Module<T>::set_precision(precision);
    for (auto& child : children_) child.second->set_precision(precision);
    children_changed();
  }

 protected:
  // Adds a child under a name unique among the children (no '.'), in the container's current
  // mode, backend and precision, and returns it.
  Module<T>& add_child(std::string name, std::unique_ptr<Module<T>> module) {
    if (!module) throw std::invalid_argument(this->name() + ": a null child module");
    if (name.empty() || name.find('.') != std::string::npos)
      throw std::invalid_argument(this->name() + ": child name '" + name +
                                  "' must be non-empty and hold no '.'");
    for (const auto& child : children_)
      if (child.first == name)
        throw std::invalid_argument(this->name() + ": two children named '" + name + "'");
    module->train(this->is_training());
    module->set_backend(this->backend());
    module->set_precision(this->precision());
    children_.emplace_back(std::move(name), std::move(module));
    children_changed();
    return *children_.back().second;
  }
  // Called after a child was added or the backend or precision changed (Sequential plans its
  // steps anew).
  virtual void children_changed() {}

 private:
  std::vector<std::pair<std::string, std::unique_ptr<Module<T>>>> children_;
};

// Calls f on module and on every module inside it, depth first, parents before children.
template <class T, class F>
void for_each_module(Module<T>& module, F&& f) {
  f(module);
  if (auto* container = dynamic_cast<Container<T>*>(&module))
    for (std::size_t i = 0; i < container->child_count(); ++i)
      for_each_module(container->child(i), f);
}

// The module and every module inside it, depth first, parents before children, each named as
// parameter names spell its path ("3.body.0"; the module itself ""), as PyTorch's named_modules.
template <class T>
std::vector<std::pair<std::string, Module<T>*>> named_modules(Module<T>& module) {
  std::vector<std::pair<std::string, Module<T>*>> named{{"", &module}};
  if (auto* container = dynamic_cast<Container<T>*>(&module))
    for (std::size_t i = 0; i < container->child_count(); ++i)
      for (const auto& [path, inner] : named_modules(container->child(i)))
        named.emplace_back(container->child_name(i) + (path.empty() ? "" : "." + path), inner);
  return named;
}

}  // namespace gradlab
