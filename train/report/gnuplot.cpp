#include "train/report/gnuplot.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "framework/files.h"
#include "train/safetensors.h"

extern char** environ;

namespace gradlab {

namespace fs = std::filesystem;

namespace {

// A gnuplot single-quoted string: no escapes inside, a quote is written twice.
std::string quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// A number, or NaN (gnuplot leaves such a point out) when the line does not have it.
std::string value(const nlohmann::json& line, const char* key, double scale = 1) {
  if (!line.contains(key) || !line[key].is_number()) return "NaN";
  char text[32];
  std::snprintf(text, sizeof text, "%.8g", scale * line[key].get<double>());
  return text;
}

std::string curves(const nlohmann::json& data, const std::string& stem) {
  const nlohmann::json& epochs = data["epochs"];
  const nlohmann::json& steps = data["steps"];
  const nlohmann::json& schedule = data["schedule"];
  if (epochs.empty()) return "";
  std::ostringstream gp;
  gp << "$epochs << EOD\n# epoch train_loss val_loss train_accuracy% val_accuracy% "
        "ema_val_loss ema_val_accuracy%\n";
  bool averaged = false;  // a run that keeps a weight average validates it too (config "ema")
  for (const nlohmann::json& e : epochs) {
    gp << value(e, "epoch") << ' ' << value(e, "train_loss") << ' ' << value(e, "val_loss") << ' '
       << value(e, "train_accuracy", 100) << ' ' << value(e, "val_accuracy", 100) << ' '
       << value(e, "ema_val_loss") << ' ' << value(e, "ema_val_accuracy", 100) << '\n';
    averaged = averaged || e.contains("ema_val_accuracy");
  }
  gp << "EOD\n";
  const std::string average_loss =
      averaged ? ", $epochs using 1:6 with linespoints lw 2 pt 7 ps 0.6 lc rgb '#9467bd' title "
                 "'validation, weight average'"
               : "";
  const std::string average_accuracy =
      averaged ? ", $epochs using 1:7 with linespoints lw 2 pt 7 ps 0.6 lc rgb '#9467bd' title "
                 "'validation, weight average'"
               : "";
  const double per_epoch = std::max(1.0, data.value("steps_per_epoch", 1.0));
  if (!steps.empty()) {
    gp << "$steps << EOD\n# epoch (fraction) train_loss lr\n";
    for (const nlohmann::json& s : steps)
      gp << value(s, "step", 1 / per_epoch) << ' ' << value(s, "train_loss") << ' '
         << value(s, "lr") << '\n';
    gp << "EOD\n";
  }
  gp << "$schedule << EOD\n# epoch lr\n";
  for (const nlohmann::json& point : schedule) gp << point[0] << ' ' << point[1] << '\n';
  gp << "EOD\n";
  const int panels = schedule.empty() ? 2 : 3;
  gp << "set terminal pngcairo size " << 520 * panels << ",420 font 'sans,11'\n"
     << "set output outdir." << quoted("/" + stem + "-curves.png") << "\n"
     << "set multiplot layout 1," << panels << " title "
     << quoted("gradlab run " + data.value("title", std::string()) + ": " +
               data["status"].value("text", std::string()))
     << "\nset grid\nset key top right\nset xlabel 'epoch'\nset datafile missing 'NaN'\n";
  gp << "set title 'Loss'\nplot ";
  if (!steps.empty())
    gp << "$steps using 1:2 with lines lc rgb '#a6c8e6' title 'train (logged steps)', ";
  gp << "$epochs using 1:2 with linespoints lw 2 pt 7 ps 0.6 lc rgb '#1f77b4' title 'train', "
        "$epochs using 1:3 with linespoints lw 2 pt 7 ps 0.6 lc rgb '#d62728' title "
        "'validation'"
     << average_loss << "\n";
  gp << "set title 'Accuracy'\nset format y '%g%%'\nset key bottom right\n"
        "plot $epochs using 1:4 with linespoints lw 2 pt 7 ps 0.6 lc rgb '#1f77b4' title "
        "'train', $epochs using 1:5 with linespoints lw 2 pt 7 ps 0.6 lc rgb '#d62728' title "
        "'validation'"
     << average_accuracy << "\nset format y '%g'\nset key top right\n";
  if (panels == 3)
    gp << "set title 'Learning rate'\nset format y '%.1e'\n"
          "plot $schedule using 1:2 with lines lw 2 lc rgb '#2ca02c' title 'schedule'\n"
          "set format y '%g'\n";
  gp << "unset multiplot\n";
  return gp.str();
}

std::string confusion(const nlohmann::json& data, const std::string& stem) {
  if (data["evaluation"].is_null()) return "";
  const nlohmann::json& matrix = data["evaluation"]["metrics"]["confusion"];
  const nlohmann::json& names = data["class_names"];
  const std::size_t classes = matrix.size();
  std::ostringstream gp;
  gp << "$confusion << EOD\n# row: true class, column: predicted; share of the row\n";
  for (const nlohmann::json& row : matrix) {
    double total = 0;
    for (const nlohmann::json& count : row) total += count.get<double>();
    for (std::size_t p = 0; p < classes; ++p)
      gp << (p ? " " : "") << (total > 0 ? row[p].get<double>() / total : 0.0);
    gp << '\n';
  }
  gp << "EOD\n";
  std::string tics;
  for (std::size_t c = 0; c < classes; ++c)
    tics += (c ? ", " : "") + quoted(names[c].get<std::string>()) + " " + std::to_string(c);
  const double edge = static_cast<double>(classes) - 0.5;
  gp << "reset\nset terminal pngcairo size 760,700 font 'sans,11'\n"
     << "set output outdir." << quoted("/" + stem + "-confusion.png") << "\n"
     << "set title " << quoted(data["evaluation"].value("source", std::string("")))
     << " font ',9'\n"
     << "set xlabel 'predicted'\nset ylabel 'true'\nunset key\n"
     << "set xrange [-0.5:" << edge << "]\nset yrange [" << edge << ":-0.5]\n"
     << "set xtics (" << tics << ") rotate by 45 right\nset ytics (" << tics << ")\n"
     << "set cbrange [0:1]\nset cblabel 'share of the true class'\n"
     << "set palette defined (0 'white', 0.1 '#c6dbef', 1 '#08306b')\n"
     << "plot $confusion matrix with image, $confusion matrix using 1:2:($3 >= 0.005 ? "
        "sprintf('%.2f', $3) : '') with labels tc rgb '#d62728' font ',8'\n";
  return gp.str();
}

// Runs `gnuplot -e "outdir='…'" script`, its messages into `messages`; the exit status, or -1
// when gnuplot cannot be started (not installed).
int run_gnuplot(const fs::path& script, const fs::path& outdir, const fs::path& messages) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, messages.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  const std::string outdir_setting = "outdir=" + quoted(outdir.string());
  std::vector<std::string> args{"gnuplot", "-e", outdir_setting, script.string()};
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int started = posix_spawnp(&pid, "gnuplot", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (started != 0) return -1;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

std::string report_figures_script(const nlohmann::json& data, const std::string& stem) {
  return "# The figures of gradlab's " + stem + ".html, data included: `gnuplot " + stem +
         "-figures.gp` redraws them (PNGs into the folder in `outdir`, default here).\n"
         "if (!exists('outdir')) outdir = '.'\n" +
         curves(data, stem) + confusion(data, stem);
}

std::string draw_report_figures(const fs::path& html_path, const nlohmann::json& data) {
  const std::string stem = html_path.stem().string();
  const fs::path folder = html_path.parent_path().empty() ? fs::path(".") : html_path.parent_path();
  return draw_figures(folder, stem, report_figures_script(data, stem),
                      {"-curves.png", "-confusion.png"});
}

std::string draw_figures(const fs::path& folder, const std::string& stem,
                         const std::string& script_text, const std::vector<std::string>& pngs) {
  const fs::path script = folder / (stem + "-figures.gp");
  write_file_atomically(script.string(), script_text);
  // gnuplot writes into a folder of its own, then each PNG is renamed into place: a reader never
  // sees half a figure.
  const fs::path scratch = folder / (".figures-" + std::to_string(::getpid()));
  fs::create_directories(scratch);
  const int status = run_gnuplot(script, scratch, scratch / "messages.txt");
  std::string said;
  if (status != 0) {
    std::ifstream in(scratch / "messages.txt");
    std::string line;
    while (std::getline(in, line))
      if (!line.empty()) said = line;  // gnuplot's last word names the fault
  }
  std::string written;
  if (status == 0) {
    for (const std::string& suffix : pngs) {
      const fs::path png = scratch / (stem + suffix);
      if (!fs::exists(png)) continue;
      fs::rename(png, folder / png.filename());
      written += (written.empty() ? "" : ", ") + png.filename().string();
    }
  }
  fs::remove_all(scratch);
  if (status == -1)
    return "no PNG copies: gnuplot is not installed (scripts/install-deps.sh installs "
           "gnuplot-nox)";
  if (status != 0)
    return "no PNG copies: gnuplot failed on " + script.string() + " (exit " +
           std::to_string(status) + "): " + said;
  return written.empty() ? "no figures to draw yet" : "PNG copies " + written + " (gnuplot)";
}

}  // namespace gradlab
