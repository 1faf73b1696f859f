// The processes training one model together, and the collective operations data-parallel
// training needs (framework/distributed/data_parallel.h). A process started alone is a job of
// one; started by Open MPI's mpirun (or another MPI launcher), it is one rank of MPI's world.
// Every rank must call the collective operations in the same order with the same counts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace gradlab {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // "rank 1 of 2 on host-b" (or "" for a job of one): for messages.
  virtual std::string describe() const = 0;

  // Element-wise sums over all ranks, in place (MPI_Allreduce with MPI_SUM).
  virtual void sum(float* values, std::size_t count) = 0;
  virtual void sum(double* values, std::size_t count) = 0;
  // Element-wise minimum and maximum over all ranks, in place (for bit-identity checks).
  virtual void min_max(std::uint64_t* minimum, std::uint64_t* maximum, std::size_t count) = 0;
  // root's bytes to every rank (MPI_Bcast).
  virtual void broadcast(void* bytes, std::size_t count, int root) = 0;
  // Ends every rank of the job now (MPI_Abort), after printing `message` to stderr; a job of one
  // just exits. Never returns.
  [[noreturn]] virtual void abort(const std::string& message, int exit_code) = 0;
};

// The job this process belongs to: MPI's world if gradlab was built with MPI and an MPI launcher
// started it (mpirun sets OMPI_COMM_WORLD_SIZE; other launchers PMI_SIZE or PMIX_RANK), else a
// job of one. MPI is initialised on the first call and finalised at exit.
Communicator& world();
// A job of one, whatever launched the process (tests; tools that never communicate).
Communicator& single_process();
// Whether this build can run under MPI.
bool built_with_mpi();

// Strings through broadcast: root's text on every rank.
std::string broadcast_string(Communicator& communicator, const std::string& text, int root);

}  // namespace gradlab
