// Notices: one line on standard error about how the program runs when it runs differently from
// usual (a layer on a slower kernel than its kind normally gets, say), each said once per
// process however often the situation recurs. Training progress goes to standard output; these
// do not, so they never interleave with results a script reads.
#pragma once

#include <functional>
#include <string>

namespace gradlab {

// Writes `line` and its newline to the file descriptor in one write(2) where the system allows
// (all of it at once for a pipe up to PIPE_BUF bytes, 4 KiB on Linux), so that lines from several
// processes sharing a stream (the ranks of an MPI job, whose stderr mpirun merges) never mix
// within a line. std::cerr << line << std::endl is two writes, and two ranks' errors were seen
// interleaved on one line.
void write_line(int fd, const std::string& line);
// write_line to standard error.
void error_line(const std::string& line);

// Prints "gradlab: note: <message>" the first time this message is given.
void notice_once(const std::string& message);

// Where notices go instead of standard error (tests capture them); an empty function restores
// standard error. Forgets which notices were given, so the new sink hears each one once again.
void set_notice_sink(std::function<void(const std::string&)> sink);

}  // namespace gradlab
