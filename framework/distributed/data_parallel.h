// Data-parallel training, Horovod's and PyTorch DDP's model: every rank holds the whole model,
// computes the gradient of its own slice of each batch, and the gradients are combined so that
// every rank takes the step one process would take on the whole batch. With g_r the gradient of
// rank r's slice's loss — a mean normalised by W_r, the slice's sample count or the sum of its
// labels' class weights — and W = Σ_r W_r the batch's:
//   g = Σ_r (W_r / W) · g_r = Σ_r (W_r / W) (1/W_r) Σ_{i ∈ r} ∇ℓ_i = (1/W) Σ_i ∇ℓ_i,
// the whole batch's gradient. One MPI_Allreduce over one flat buffer per step (the model's
// gradients, scaled by the rank's share W_r / W as they are packed).
//
// Weights start identical (broadcast from rank 0) and stay so, since every rank applies the same
// update to the same weights; first_drifted() checks it bit for bit.
#pragma once

#include <string>
#include <vector>

#include "framework/distributed/communicator.h"
#include "framework/module.h"
#include "framework/optim/optimizer.h"

namespace gradlab {

template <class T>
class DataParallel {
 public:
  // The model must outlive this; its parameter list must not change. A collective operation:
  // every rank constructs one, and if the ranks' models differ in any parameter's or buffer's
  // name or shape, every rank throws std::invalid_argument naming the first difference and the
  // two ranks (rather than sum buffers of different sizes, which corrupts memory).
  DataParallel(Communicator& world, Module<T>& model);

  Communicator& world() { return world_; }

  // Every rank's parameters, buffers and (if given) optimizer state become rank 0's.
  void broadcast_from_root(Optimizer<T>* optimizer);
  // Only the buffers (BatchNorm's running statistics, which each rank updates from its own
  // slices): rank 0's everywhere.
  void broadcast_buffers();
  // Any other state every rank holds and rank 0's must win (a weight average of the buffers).
  void broadcast(Tensor<T>& tensor);
  // Gives ranks other than 0 random streams of their own (Dropout's masks), derived from rank
  // 0's and the rank: otherwise every rank would drop the same units of its slice's samples.
  void separate_random_streams();

  // grad ← Σ_r share_r · grad_r on every rank, and each of `totals` summed over the ranks in
  // the same operation (the batch's loss, say).
  void reduce_gradients(double share, std::vector<double>& totals);

  // The name of the first parameter, then buffer, whose values are not bit-identical on every
  // rank; "" if none.
  std::string first_drifted();
  // Once an epoch: BatchNorm's running statistics are each rank's own, so rank 0's become the
  // model's (as DDP's broadcast_buffers, once an epoch instead of every step); then the weights
  // must agree bit for bit, or every rank throws std::runtime_error naming the first that
  // differs, prefixed by `when` ("after epoch 3").
  void synchronize_buffers(const std::string& when);

  // Seconds spent in reduce_gradients so far, and how many calls.
  double reduce_seconds() const { return reduce_seconds_; }
  std::size_t reductions() const { return reductions_; }

 private:
  void check_same_model();

  Communicator& world_;
  Module<T>& model_;
  std::vector<NamedParameter<T>> parameters_;
  std::vector<T> flat_;  // the packed gradients, then the totals
  double reduce_seconds_ = 0;
  std::size_t reductions_ = 0;
};

}  // namespace gradlab
