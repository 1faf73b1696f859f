// gradlab watch RUN_DIR: a small HTTP server that shows a run while it trains (and after): the
// run report's page (train/report/report.h) without the test evaluation, redrawn every few
// seconds from the run folder — epoch and step curves, the learning rate, images/s, the time left.
// It only reads the folder, so it follows a run trained by another process, or on another
// machine whose run folder is shared (NFS, sshfs). Routes:
//   GET /            the live page
//   GET /data.json   the page's data: the run's history as the report reads it, "live": true
//   GET /files/PATH  a file of the run folder (report.html, its PNGs, metrics.jsonl, ...);
//                    anything outside the folder, symbolic links out of it included, is 404
// It binds to 127.0.0.1 unless told otherwise: a run folder holds checkpoints, configs and the
// paths of data, not for everyone on the network.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

namespace gradlab {

struct WatchOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (the log says which)
  double interval_seconds = 2;
};

// The file `relative` names inside run_dir, resolved through "..", symbolic links and absolute
// paths; nullopt when that is not a regular file inside the folder.
std::optional<std::filesystem::path> file_in_run(const std::filesystem::path& run_dir,
                                                 const std::string& relative);

// /data.json: the run's history (read_run_history) as report data, without an evaluation.
nlohmann::json live_data(const std::filesystem::path& run_dir);

// The server. Construction checks the run folder and binds the port (0: any free one), so errors
// come before serving; serve() answers requests until stop() (from another thread) or the end
// of the process.
class WatchServer {
 public:
  // Throws DataError for a folder that is not a run folder, std::runtime_error naming the address
  // when it cannot be bound (a port in use).
  WatchServer(const std::filesystem::path& run_dir, const WatchOptions& options);
  ~WatchServer();
  WatchServer(const WatchServer&) = delete;
  WatchServer& operator=(const WatchServer&) = delete;

  int port() const { return port_; }
  std::string url() const;  // http://HOST:PORT/
  void serve();
  void stop();

 private:
  struct Http;  // cpp-httplib's server, kept out of this header
  std::unique_ptr<Http> http_;
  std::string host_;
  int port_ = 0;
};

// gradlab watch RUN_DIR [--host H] [--port P] [--interval S]: serves until Ctrl-C; says where
// on `log` ("watching runs/x at http://127.0.0.1:8080/").
int watch_command(const std::filesystem::path& run_dir, const WatchOptions& options,
                  std::ostream& log);

}  // namespace gradlab
