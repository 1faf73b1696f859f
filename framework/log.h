// Notices: one line on standard error about how the program runs when it runs differently from
// usual (a layer on a slower kernel than its kind normally gets, say), each said once per
// process however often the situation recurs. Training progress goes to standard output; these
// do not, so they never interleave with results a script reads.
#pragma once

#include <functional>
#include <string>

namespace gradlab {

// Prints "gradlab: note: <message>" the first time this message is given.
void notice_once(const std::string& message);

// Where notices go instead of standard error (tests capture them); an empty function restores
// standard error. Forgets which notices were given, so the new sink hears each one once again.
void set_notice_sink(std::function<void(const std::string&)> sink);

}  // namespace gradlab
