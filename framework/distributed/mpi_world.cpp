#include "framework/distributed/mpi_world.h"

#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <stdexcept>

#include "framework/log.h"

namespace gradlab {

namespace {

// MPI counts are ints: larger buffers go in pieces.
constexpr std::size_t kPiece = static_cast<std::size_t>(INT_MAX) / 8;

class MpiWorld : public Communicator {
 public:
  MpiWorld() {
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    host_ = host;
    // Finalised at exit, after every other static (this one is made first among them).
    std::atexit([] {
      int finalized = 0;
      MPI_Finalized(&finalized);
      if (!finalized) MPI_Finalize();
    });
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string describe() const override {
    return "rank " + std::to_string(rank_) + " of " + std::to_string(size_) + " on " + host_;
  }
  void sum(float* values, std::size_t count) override { reduce(values, count, MPI_FLOAT, MPI_SUM); }
  void sum(double* values, std::size_t count) override {
    reduce(values, count, MPI_DOUBLE, MPI_SUM);
  }
  void min_max(std::uint64_t* minimum, std::uint64_t* maximum, std::size_t count) override {
    reduce(minimum, count, MPI_UINT64_T, MPI_MIN);
    reduce(maximum, count, MPI_UINT64_T, MPI_MAX);
  }
  void broadcast(void* bytes, std::size_t count, int root) override {
    auto* data = static_cast<char*>(bytes);
    for (std::size_t done = 0; done < count; done += kPiece)
      MPI_Bcast(data + done, static_cast<int>(std::min(kPiece, count - done)), MPI_BYTE, root,
                MPI_COMM_WORLD);
  }
  [[noreturn]] void abort(const std::string& message, int exit_code) override {
    error_line(message);  // one write: ranks' lines do not mix
    MPI_Abort(MPI_COMM_WORLD, exit_code);
    std::exit(exit_code);  // MPI_Abort does not return; if it did, this process still ends
  }

 private:
  template <class T>
  void reduce(T* values, std::size_t count, MPI_Datatype type, MPI_Op op) {
    for (std::size_t done = 0; done < count; done += kPiece)
      MPI_Allreduce(MPI_IN_PLACE, values + done, static_cast<int>(std::min(kPiece, count - done)),
                    type, op, MPI_COMM_WORLD);
  }

  int rank_ = 0, size_ = 1;
  std::string host_;
};

}  // namespace

Communicator& mpi_world() {
  static MpiWorld world;
  return world;
}

}  // namespace gradlab
