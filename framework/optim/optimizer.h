// The optimizer interface: holds the parameters and, per parameter, named state buffers
// (momentum, Adam's moments), updates them from their gradients in step(), and can save and
// restore its whole state exactly, for resuming a run.
//
// An optimizer subclass declares its buffers and writes one `update` for one parameter.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "framework/parameter.h"

namespace gradlab {

// Everything needed to continue exactly where a run stopped.
template <class T>
struct OptimizerState {
  std::size_t steps = 0;
  double learning_rate = 0;
  std::vector<std::pair<std::string, Tensor<T>>> buffers;  // "0.weight.exp_avg" → tensor
};

template <class T>
class Optimizer {
 public:
  Optimizer(std::vector<NamedParameter<T>> parameters, double learning_rate,
            std::vector<std::string> buffer_names);
  virtual ~Optimizer() = default;

  // "Adam(lr=0.001, betas=(0.9, 0.999), eps=1e-08)": which rule runs, with its settings.
  virtual std::string name() const = 0;

  // One update of every parameter from its current gradient.
  void step();
  void zero_grad();

  double learning_rate() const { return learning_rate_; }
  void set_learning_rate(double learning_rate);  // for schedules
  // The momentum coefficient a schedule may cycle (SGD's momentum, Adam's β₁, EmaMomentum's β),
  // in [0, 1). Throws std::logic_error for an optimizer without one (SGD made without momentum).
  virtual void set_momentum(double momentum);
  std::size_t steps() const { return steps_; }  // t, the number of steps taken

  OptimizerState<T> state() const;
  // Throws std::invalid_argument naming the buffer if the state does not fit these parameters.
  void load_state(const OptimizerState<T>& state);

 protected:
  // Update one parameter; buffers are this parameter's state, in buffer_names order, zero at t = 1.
  // steps() is already t for this step (1 on the first).
  virtual void update(Parameter<T>& parameter, std::vector<Tensor<T>>& buffers) = 0;

 private:
  std::vector<NamedParameter<T>> parameters_;
  std::vector<std::string> buffer_names_;
  std::vector<std::vector<Tensor<T>>> buffers_;  // [parameter][buffer]
  double learning_rate_;
  std::size_t steps_ = 0;
};

// Gradient clipping, applied after backward and before step, as PyTorch's clip_grad_*_.
// By global L2 norm: if ‖g‖ = √(Σ over all parameters of Σ g²) > max_norm, every gradient is
// scaled by max_norm / (‖g‖ + 1e-6). Returns ‖g‖ before clipping.
template <class T>
double clip_grad_norm(const std::vector<Parameter<T>*>& parameters, double max_norm);

// By value: every gradient element is clamped to [−clip_value, clip_value].
template <class T>
void clip_grad_value(const std::vector<Parameter<T>*>& parameters, double clip_value);

// Throws std::invalid_argument("<owner>: <what> must be in <range>, got x") unless ok.
void check_hyperparameter(bool ok, const std::string& owner, const std::string& what,
                          const std::string& range, double value);

}  // namespace gradlab
