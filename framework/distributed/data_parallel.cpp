#include "framework/distributed/data_parallel.h"

#include <chrono>
#include <climits>
#include <cstdint>
#include <cstring>
#include <stdexcept>

namespace gradlab {

namespace {

// FNV-1a over a tensor's bytes: equal values give equal hashes, and a single flipped bit almost
// surely does not.
template <class T>
std::uint64_t hash_of(const Tensor<T>& tensor) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  const auto* bytes = reinterpret_cast<const unsigned char*>(tensor.data());
  for (std::size_t i = 0; i < tensor.size() * sizeof(T); ++i) {
    hash ^= bytes[i];
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

template <class T>
void broadcast_tensor(Communicator& world, Tensor<T>& tensor) {
  world.broadcast(tensor.data(), tensor.size() * sizeof(T), 0);
}

// One line per parameter and buffer: its name and shape.
template <class T>
std::vector<std::string> describe_tensors(Module<T>& model) {
  std::vector<std::string> lines;
  for (const NamedParameter<T>& named : model.named_parameters())
    lines.push_back("parameter " + named.name + " " + to_string(shape_of(named.parameter->value)));
  for (const NamedBuffer<T>& buffer : model.named_buffers())
    lines.push_back("buffer " + buffer.name + " " + to_string(shape_of(*buffer.tensor)));
  return lines;
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& line : lines) text += line + "\n";
  return text;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  for (std::size_t start = 0, end; (end = text.find('\n', start)) != std::string::npos;
       start = end + 1)
    lines.push_back(text.substr(start, end - start));
  return lines;
}

}  // namespace

template <class T>
DataParallel<T>::DataParallel(Communicator& world, Module<T>& model)
    : world_(world), model_(model), parameters_(model.named_parameters()) {
  check_same_model();
}

template <class T>
void DataParallel<T>::check_same_model() {
  if (world_.size() == 1) return;
  // A hash first (one small allreduce); only when the ranks disagree are the descriptions sent,
  // rank 0's and the first differing rank's, so that every rank throws the same message.
  const std::string mine = join_lines(describe_tensors(model_));
  std::uint64_t low = 0xcbf29ce484222325ULL;
  for (unsigned char c : mine) low = (low ^ c) * 0x100000001b3ULL;
  std::uint64_t high = low;
  world_.min_max(&low, &high, 1);
  if (low == high) return;
  const std::string root_text = broadcast_string(world_, mine, 0);
  std::uint64_t first = mine != root_text ? static_cast<std::uint64_t>(world_.rank()) : UINT64_MAX;
  std::uint64_t unused = first;
  world_.min_max(&first, &unused, 1);
  const int other = static_cast<int>(first);
  const std::vector<std::string> a = split_lines(root_text),
                                 b = split_lines(broadcast_string(world_, mine, other));
  std::size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  auto at = [i](const std::vector<std::string>& lines) {
    return i < lines.size() ? lines[i] : std::string("no more parameters or buffers");
  };
  throw std::invalid_argument(
      "the ranks build different models (does each host read its own copy of the config, or "
      "other --set values?): rank 0 has " +
      at(a) + ", rank " + std::to_string(other) + " has " + at(b) +
      "; every rank must train the same model");
}

template <class T>
void DataParallel<T>::broadcast_from_root(Optimizer<T>* optimizer) {
  if (world_.size() == 1) return;
  for (NamedParameter<T>& named : parameters_) broadcast_tensor(world_, named.parameter->value);
  broadcast_buffers();
  for (auto& [name, rng] : model_.named_rngs())
    rng->set_state(broadcast_string(world_, rng->state(), 0));
  if (!optimizer) return;
  OptimizerState<T> state = optimizer->state();
  std::uint64_t steps = state.steps;
  world_.broadcast(&steps, sizeof steps, 0);
  world_.broadcast(&state.learning_rate, sizeof state.learning_rate, 0);
  state.steps = steps;
  for (auto& [name, tensor] : state.buffers) broadcast_tensor(world_, tensor);
  optimizer->load_state(state);
}

template <class T>
void DataParallel<T>::broadcast_buffers() {
  if (world_.size() == 1) return;
  for (NamedBuffer<T>& buffer : model_.named_buffers()) broadcast_tensor(world_, *buffer.tensor);
}

template <class T>
void DataParallel<T>::broadcast(Tensor<T>& tensor) {
  if (world_.size() > 1) broadcast_tensor(world_, tensor);
}

template <class T>
void DataParallel<T>::separate_random_streams() {
  if (world_.rank() == 0) return;
  // From the stream's next draw and the rank: rank 0 keeps its stream, so a job of one and rank
  // 0 of many draw alike.
  for (auto& [name, rng] : model_.named_rngs())
    *rng = Rng(derive_seed(rng->next_u64(), static_cast<std::uint64_t>(world_.rank())));
}

template <class T>
void DataParallel<T>::reduce_gradients(double share, std::vector<double>& totals) {
  if (world_.size() == 1) return;
  const auto start = std::chrono::steady_clock::now();
  std::size_t count = 0;
  for (const NamedParameter<T>& named : parameters_) count += named.parameter->grad.size();
  flat_.resize(count);
  const T scale = static_cast<T>(share);
  std::size_t at = 0;
  for (const NamedParameter<T>& named : parameters_) {
    const Tensor<T>& grad = named.parameter->grad;
    for (std::size_t i = 0; i < grad.size(); ++i) flat_[at + i] = scale * grad.data()[i];
    at += grad.size();
  }
  world_.sum(flat_.data(), flat_.size());
  // The totals in double: a loss summed in float over many ranks would lose digits.
  world_.sum(totals.data(), totals.size());
  at = 0;
  for (const NamedParameter<T>& named : parameters_) {
    Tensor<T>& grad = named.parameter->grad;
    std::memcpy(grad.data(), flat_.data() + at, grad.size() * sizeof(T));
    at += grad.size();
  }
  reduce_seconds_ +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ++reductions_;
}

template <class T>
std::string DataParallel<T>::first_drifted() {
  if (world_.size() == 1) return "";
  std::vector<std::string> names;
  std::vector<std::uint64_t> hashes;
  for (const NamedParameter<T>& named : parameters_) {
    names.push_back(named.name);
    hashes.push_back(hash_of(named.parameter->value));
  }
  for (const NamedBuffer<T>& buffer : model_.named_buffers()) {
    names.push_back(buffer.name);
    hashes.push_back(hash_of(*buffer.tensor));
  }
  std::vector<std::uint64_t> maximum = hashes;
  world_.min_max(hashes.data(), maximum.data(), hashes.size());
  for (std::size_t i = 0; i < names.size(); ++i)
    if (hashes[i] != maximum[i]) return names[i];
  return "";
}

template <class T>
void DataParallel<T>::synchronize_buffers(const std::string& when) {
  broadcast_buffers();
  const std::string drifted = first_drifted();
  if (!drifted.empty())
    throw std::runtime_error(when + ", " + drifted + " differs between the ranks (" +
                             world_.describe() + "): data-parallel training lost step with itself");
}

template class DataParallel<float>;
template class DataParallel<double>;

}  // namespace gradlab
