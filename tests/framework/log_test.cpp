// Error lines from several processes sharing one stream (the ranks of an MPI job) stay whole.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "framework/log.h"

namespace gradlab {

TEST_CASE("write_line: lines from several processes on one pipe never mix", "[log]") {
  // Two writer processes, each 2000 lines of its own letter, race on one pipe; a line is whole if
  // it is one letter repeated and its newline. Written as line and newline separately (what
  // std::cerr << line << std::endl does), lines run together within the first few hundred.
  int pipe_fds[2], go[2];
  REQUIRE(pipe(pipe_fds) == 0);
  REQUIRE(pipe(go) == 0);  // both writers start when it closes, so that they race
  const std::size_t lines_per_writer = 2000, length = 100;
  pid_t writers[2];
  for (int w = 0; w < 2; ++w) {
    writers[w] = fork();
    REQUIRE(writers[w] >= 0);
    if (writers[w] == 0) {
      close(pipe_fds[0]);
      close(go[1]);
      char start;
      (void)!read(go[0], &start, 1);
      const std::string line(length, w == 0 ? 'a' : 'b');
      for (std::size_t i = 0; i < lines_per_writer; ++i) write_line(pipe_fds[1], line);
      _exit(0);
    }
  }
  close(pipe_fds[1]);
  close(go[0]);
  close(go[1]);
  std::string received;
  char buffer[4096];
  for (ssize_t n; (n = read(pipe_fds[0], buffer, sizeof buffer)) > 0;)
    received.append(buffer, static_cast<std::size_t>(n));
  close(pipe_fds[0]);
  for (pid_t writer : writers) waitpid(writer, nullptr, 0);

  std::size_t whole = 0, broken = 0, start = 0;
  for (std::size_t end; (end = received.find('\n', start)) != std::string::npos; start = end + 1) {
    const std::string line = received.substr(start, end - start);
    const bool same = line.size() == length && line.find_first_not_of(line[0]) == std::string::npos;
    (same ? whole : broken) += 1;
  }
  CHECK(broken == 0);
  CHECK(whole == 2 * lines_per_writer);
  CHECK(start == received.size());  // nothing after the last newline
}

}  // namespace gradlab
