#include "train/watch/watch.h"

#include <algorithm>
#include <stdexcept>

#include <httplib.h>

#include "datasets/idx.h"
#include "framework/config_reader.h"
#include "framework/files.h"
#include "train/config.h"
#include "train/report/report.h"
#include "train/safetensors.h"

namespace gradlab {

namespace fs = std::filesystem;

std::optional<fs::path> file_in_run(const fs::path& run_dir, const std::string& relative) {
  std::error_code error;
  const fs::path root = fs::canonical(run_dir, error);
  if (error) return std::nullopt;
  // weakly_canonical resolves "..", "." and every symbolic link of the part that exists, so a
  // link inside the folder that points out of it resolves to where it points. (root / an absolute
  // path is that absolute path.)
  const fs::path file = fs::weakly_canonical(root / relative, error);
  if (error) return std::nullopt;
  const auto [in_root, in_file] = std::mismatch(root.begin(), root.end(), file.begin(), file.end());
  if (in_root != root.end() || in_file == file.end()) return std::nullopt;  // outside, or root
  if (!fs::is_regular_file(file, error)) return std::nullopt;
  return file;
}

nlohmann::json live_data(const fs::path& run_dir) {
  ReportContent content;
  content.title = run_title(run_dir);
  content.history = read_run_history(run_dir);
  content.class_names = parse_experiment(content.history["config"], content.title).data.class_names;
  content.evaluation_note =
      fs::exists(run_dir / "report.html")
          ? "The test evaluation is in the run's report: files/report.html."
          : "The test evaluation is made when the run ends (report.html in the run folder; "
            "gradlab report RUN_DIR makes one for a stopped run).";
  nlohmann::json data = report_data(content);
  data["live"] = true;
  return data;
}

namespace {

std::string content_type(const fs::path& file) {
  const std::string extension = file.extension().string();
  if (extension == ".html") return "text/html; charset=utf-8";
  if (extension == ".json") return "application/json";
  if (extension == ".png") return "image/png";
  if (extension == ".svg") return "image/svg+xml";
  if (extension == ".jsonl" || extension == ".txt" || extension == ".log" || extension == ".gp")
    return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

}  // namespace

struct WatchServer::Http {
  httplib::Server server;
};

WatchServer::WatchServer(const fs::path& run_dir, const WatchOptions& options)
    : http_(std::make_unique<Http>()), host_(options.host) {
  // The folder is checked now, so that a wrong path is an error at once, not a page of errors.
  const nlohmann::json first = live_data(run_dir);
  if (!(options.interval_seconds > 0))
    throw ConfigError("--interval: must be a positive number of seconds");
  const std::string title = first.at("title").get<std::string>();
  const std::string page = render_live_html(title, options.interval_seconds);
  httplib::Server& server = http_->server;
  server.Get("/", [page](const httplib::Request&, httplib::Response& response) {
    response.set_content(page, "text/html; charset=utf-8");
  });
  // No icon, said without an error (a 404 would be one in the browser's console).
  server.Get("/favicon.ico",
             [](const httplib::Request&, httplib::Response& response) { response.status = 204; });
  server.Get("/data.json", [run_dir](const httplib::Request&, httplib::Response& response) {
    try {
      response.set_content(live_data(run_dir).dump(), "application/json");
    } catch (const std::exception& error) {
      // The page shows it and keeps polling: a damaged metrics line may be mended, a folder
      // brought back.
      response.status = 500;
      response.set_content(error.what(), "text/plain; charset=utf-8");
    }
    response.set_header("Cache-Control", "no-store");
  });
  server.Get(
      R"(/files/(.+))", [run_dir](const httplib::Request& request, httplib::Response& response) {
        const std::optional<fs::path> file = file_in_run(run_dir, request.matches[1].str());
        if (!file) {
          response.status = 404;
          response.set_content("not a file of this run folder\n", "text/plain; charset=utf-8");
          return;
        }
        response.set_content(read_file(file->string()), content_type(*file));
        response.set_header("Cache-Control", "no-store");
      });
  // SO_REUSEADDR only: cpp-httplib's default adds SO_REUSEPORT, which lets a second server bind
  // the same port and take half of its connections instead of failing.
  server.set_socket_options([](socket_t socket) {
    int yes = 1;
    ::setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  port_ = options.port == 0 ? server.bind_to_any_port(host_)
                            : (server.bind_to_port(host_, options.port) ? options.port : -1);
  if (port_ < 0)
    throw std::runtime_error("cannot listen on " + host_ + ":" + std::to_string(options.port) +
                             " (in use? choose another with --port)");
}

WatchServer::~WatchServer() = default;

std::string WatchServer::url() const {
  return "http://" + host_ + ":" + std::to_string(port_) + "/";
}

void WatchServer::serve() {
  http_->server.listen_after_bind();
}

void WatchServer::stop() {
  http_->server.stop();
}

int watch_command(const fs::path& run_dir, const WatchOptions& options, std::ostream& log) {
  WatchServer server(run_dir, options);
  log << "watching " << run_dir.string() << " at " << server.url()
      << " (Ctrl-C stops; the page redraws every " << options.interval_seconds << " s)\n";
  if (options.host == "127.0.0.1" || options.host == "localhost")
    log << "from another machine: ssh -L " << server.port() << ":127.0.0.1:" << server.port()
        << " THIS_HOST, then open http://127.0.0.1:" << server.port() << "/ there\n";
  log << std::flush;
  server.serve();
  return 0;
}

}  // namespace gradlab
