#include "train/lr_find.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>

#include "framework/files.h"
#include "framework/random.h"
#include "framework/runtime.h"
#include "train/report/gnuplot.h"
#include "train/run.h"
#include "train/safetensors.h"
#include "train/training_data.h"

namespace gradlab {

namespace fs = std::filesystem;

namespace {
const char* const kRule =
    "the steepest descent of the smoothed loss per unit of log rate (fastai's lr_steep)";
}  // namespace

std::vector<double> smooth_losses(const std::vector<double>& losses, double beta) {
  LossSmoother smoother(beta);
  std::vector<double> smoothed;
  for (double loss : losses) smoothed.push_back(smoother.add(loss));
  return smoothed;
}

LrSuggestion suggest_learning_rate(const std::vector<double>& rates,
                                   const std::vector<double>& smoothed) {
  if (rates.size() < 2 || rates.size() != smoothed.size())
    throw std::invalid_argument("suggest_learning_rate: needs two or more rates, one loss each");
  const std::size_t lowest = static_cast<std::size_t>(
      std::min_element(smoothed.begin(), smoothed.end()) - smoothed.begin());
  LrSuggestion suggestion;
  suggestion.minimum = rates[lowest];
  // d ŝ / d log η by differences (central inside, one-sided at the ends), up to the minimum,
  // skipping the first tenth of the steps as fastai does: there ŝ averages too few losses to
  // have a slope worth reading.
  double steepest_slope = std::numeric_limits<double>::infinity();
  const std::size_t skip = std::min(lowest, rates.size() / 10);
  suggestion.steepest = rates[skip];
  for (std::size_t i = skip; i <= lowest; ++i) {
    const std::size_t before = i > 0 ? i - 1 : i, after = i + 1 < rates.size() ? i + 1 : i;
    const double run = std::log(rates[after]) - std::log(rates[before]);
    if (run <= 0) continue;
    const double slope = (smoothed[after] - smoothed[before]) / run;
    if (slope < steepest_slope) steepest_slope = slope, suggestion.steepest = rates[i];
  }
  suggestion.suggested = suggestion.steepest;
  // The valley (fastai's): the longest subsequence along which ŝ keeps falling, noise bumps
  // stepped over; its point halfway (fastai: a third plus a sixth of the way).
  std::vector<std::size_t> run(smoothed.size(), 1);  // the longest falling subsequence ending at i
  std::size_t end = 0;
  for (std::size_t i = 1; i < smoothed.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j)
      if (smoothed[i] < smoothed[j]) run[i] = std::max(run[i], run[j] + 1);
    if (run[i] > run[end]) end = i;
  }
  const std::size_t start = end + 1 - run[end], length = end - start;
  suggestion.valley = rates[start + length / 3 + length / 6];
  return suggestion;
}

nlohmann::json lr_range_test(const ExperimentConfig& config, const LrFindOptions& options,
                             std::ostream& log) {
  if (options.steps < 2) throw ConfigError("--steps: the test needs at least 2 steps");
  if (!(options.start > 0 && options.end > options.start))
    throw ConfigError("--start, --end: need 0 < start < end (got " + std::to_string(options.start) +
                      ", " + std::to_string(options.end) + ")");
  enable_flush_to_zero();
  TrainingData data(config);
  Run run = make_run(config, data);
  log << "lr-find: " << options.steps << " steps of " << config.batch_size << " images, rate "
      << options.start << " to " << options.end << " (exponential); " << run.optimizer->name()
      << "\n";
  Rng rng(derive_seed(config.seed, 1));  // the first epoch's order, as the run's own
  data.train().start_epoch(rng);
  Tensor<float> images;
  Labels labels;
  std::vector<double> rates, losses, smoothed;
  LossSmoother smoother;
  double lowest = std::numeric_limits<double>::infinity();
  bool stopped_early = false;
  const double ratio = options.end / options.start;
  for (std::size_t t = 0; t < options.steps; ++t) {
    while (!data.train().next(images, labels)) data.train().start_epoch(rng);
    const double rate =
        options.start * std::pow(ratio, static_cast<double>(t) / (options.steps - 1.0));
    run.optimizer->set_learning_rate(rate);
    run.optimizer->zero_grad();
    const Tensor<float>& logits = run.model->forward(images);
    const double loss = run.loss->forward(logits, labels);
    if (!std::isfinite(loss)) {
      stopped_early = true;
      break;
    }
    run.model->backward(run.loss->backward());
    if (config.clip_max_norm > 0) clip_grad_norm(run.parameters, config.clip_max_norm);
    if (config.clip_max_value > 0) clip_grad_value(run.parameters, config.clip_max_value);
    run.optimizer->step();
    rates.push_back(rate);
    losses.push_back(loss);
    smoothed.push_back(smoother.add(loss));
    if ((t + 1) % std::max<std::size_t>(1, options.steps / 10) == 0)
      log << "  step " << t + 1 << "  rate " << rate << "  loss " << loss << "  smoothed "
          << smoothed.back() << "\n";
    lowest = std::min(lowest, smoothed.back());
    if (smoothed.back() > options.stop_factor * lowest) {
      stopped_early = true;
      break;
    }
  }
  if (rates.size() < 2)
    throw ConfigError("lr-find: the loss was not finite from the first steps; lower --start (" +
                      std::to_string(options.start) + ")");
  const LrSuggestion suggestion = suggest_learning_rate(rates, smoothed);
  if (stopped_early)
    log << "lr-find: stopped after " << rates.size() << " steps: the loss blew up (above "
        << options.stop_factor << "x its lowest)\n";
  char line[200];
  std::snprintf(line, sizeof line,
                "lr-find: suggested rate %.3g; the other rules: lowest smoothed loss %.3g / 10 = "
                "%.3g, valley %.3g\n",
                suggestion.suggested, suggestion.minimum, suggestion.minimum / 10,
                suggestion.valley);
  log << line << "  (rule: " << kRule << ")\n";
  return {{"rates", rates},
          {"losses", losses},
          {"smoothed", smoothed},
          {"stopped_early", stopped_early},
          {"start", options.start},
          {"end", options.end},
          {"steps", options.steps},
          {"suggestion",
           {{"suggested", suggestion.suggested},
            {"steepest", suggestion.steepest},
            {"minimum", suggestion.minimum},
            {"minimum_over_10", suggestion.minimum / 10},
            {"valley", suggestion.valley}}},
          {"rule", kRule},
          {"config", config.resolved}};
}

namespace {

// The losses a figure shows: from the lowest up to a little above the first smoothed loss; the
// blow-up at the end would flatten the part that matters.
std::pair<double, double> loss_range(const std::vector<double>& losses,
                                     const std::vector<double>& smoothed) {
  const double lo = std::min(*std::min_element(losses.begin(), losses.end()),
                             *std::min_element(smoothed.begin(), smoothed.end()));
  return {lo, std::max(smoothed.front() * 1.1, lo * 1.5)};
}

// The loss against the rate on a log axis, as an SVG (no script: the page is one static file).
std::string svg_chart(const nlohmann::json& result) {
  const std::vector<double> rates = result["rates"], losses = result["losses"],
                            smoothed = result["smoothed"];
  const double W = 760, H = 440, left = 70, right = 20, top = 20, bottom = 50;
  const double x0 = std::log10(rates.front()), x1 = std::log10(rates.back());
  // Named copies, not a structured binding: lambdas capture those only from C++20 (clang 14,
  // the fuzz build's compiler, refuses it).
  const std::pair<double, double> range = loss_range(losses, smoothed);
  const double lo = range.first, hi = range.second;
  auto X = [&](double rate) {
    return left + (W - left - right) * (std::log10(rate) - x0) / std::max(1e-12, x1 - x0);
  };
  auto Y = [&](double loss) {
    const double v = std::clamp(loss, lo, hi);
    return top + (H - top - bottom) * (1 - (v - lo) / std::max(1e-12, hi - lo));
  };
  char buffer[160];
  std::string svg =
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"760\" height=\"440\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n";
  // Axes, and a tick at every power of ten.
  std::snprintf(buffer, sizeof buffer,
                "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"none\" "
                "stroke=\"#999\"/>\n",
                left, top, W - left - right, H - top - bottom);
  svg += buffer;
  for (int p = static_cast<int>(std::ceil(x0)); p <= static_cast<int>(std::floor(x1)); ++p) {
    const double x = X(std::pow(10.0, p));
    std::snprintf(buffer, sizeof buffer,
                  "<line x1=\"%.1f\" y1=\"%g\" x2=\"%.1f\" y2=\"%g\" stroke=\"#eee\"/><text "
                  "x=\"%.1f\" y=\"%g\" text-anchor=\"middle\">1e%d</text>\n",
                  x, top, x, H - bottom, x, H - bottom + 18, p);
    svg += buffer;
  }
  for (int k = 0; k <= 4; ++k) {
    const double loss = lo + (hi - lo) * k / 4;
    std::snprintf(buffer, sizeof buffer,
                  "<text x=\"%g\" y=\"%.1f\" text-anchor=\"end\">%.3g</text>\n", left - 6,
                  Y(loss) + 4, loss);
    svg += buffer;
  }
  svg +=
      "<text x=\"415\" y=\"432\" text-anchor=\"middle\">learning rate (log scale)</text>\n"
      "<text x=\"16\" y=\"220\" transform=\"rotate(-90 16 220)\" text-anchor=\"middle\">"
      "training loss</text>\n";
  auto polyline = [&](const std::vector<double>& values, const char* style) {
    std::string points;
    for (std::size_t i = 0; i < values.size(); ++i) {
      std::snprintf(buffer, sizeof buffer, "%.1f,%.1f ", X(rates[i]), Y(values[i]));
      points += buffer;
    }
    return "<polyline fill=\"none\" " + std::string(style) + " points=\"" + points + "\"/>\n";
  };
  svg += polyline(losses, "stroke=\"#a6c8e6\" stroke-width=\"1\" class=\"losses\"");
  svg += polyline(smoothed, "stroke=\"#1f77b4\" stroke-width=\"2\" class=\"smoothed\"");
  const double suggested = result["suggestion"]["suggested"];
  if (suggested >= rates.front()) {
    std::snprintf(buffer, sizeof buffer,
                  "<line class=\"suggested\" x1=\"%.1f\" y1=\"%g\" x2=\"%.1f\" y2=\"%g\" "
                  "stroke=\"#d62728\" stroke-dasharray=\"5,4\"/>\n",
                  X(suggested), top, X(suggested), H - bottom);
    svg += buffer;
  }
  return svg + "</svg>\n";
}

std::string lr_find_html(const nlohmann::json& result) {
  const nlohmann::json& s = result["suggestion"];
  char summary[500];
  std::snprintf(summary, sizeof summary,
                "<p id=\"suggestion\">Suggested learning rate: <strong>%.3g</strong>. Rule: %s. "
                "fastai's other rules: the lowest smoothed loss's rate / 10, %.3g; the valley, "
                "%.3g.</p>\n",
                s["suggested"].get<double>(), kRule, s["minimum"].get<double>() / 10,
                s["valley"].get<double>());
  const std::size_t steps = result["rates"].size();
  return "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<title>gradlab lr-find</title>\n<style>body { font-family: sans-serif; margin: 2em; "
         "max-width: 820px } .note { color: #555 }</style>\n</head>\n<body>\n"
         "<h1>Learning-rate range test</h1>\n" +
         std::string(summary) + "<p class=\"note\">" + std::to_string(steps) +
         " steps, the rate growing exponentially" +
         (result["stopped_early"].get<bool>() ? "; stopped early when the loss blew up" : "") +
         ". Light: each step's loss; dark: smoothed (β = 0.98, bias-corrected); dashed: the "
         "suggestion. The data: lr_find.json.</p>\n" +
         svg_chart(result) + "</body>\n</html>\n";
}

std::string lr_find_gnuplot(const nlohmann::json& result) {
  std::string gp =
      "# gradlab lr-find's figure, data included: `gnuplot lr_find-figures.gp` redraws it.\n"
      "if (!exists('outdir')) outdir = '.'\n$points << EOD\n# rate loss smoothed\n";
  char line[120];
  for (std::size_t i = 0; i < result["rates"].size(); ++i) {
    std::snprintf(line, sizeof line, "%.8g %.8g %.8g\n", result["rates"][i].get<double>(),
                  result["losses"][i].get<double>(), result["smoothed"][i].get<double>());
    gp += line;
  }
  const double suggested = result["suggestion"]["suggested"];
  const auto [lo, hi] = loss_range(result["losses"].get<std::vector<double>>(),
                                   result["smoothed"].get<std::vector<double>>());
  char range[80];
  std::snprintf(range, sizeof range, "set yrange [%.8g:%.8g]\n", lo, hi);
  std::snprintf(line, sizeof line, "set arrow from %.8g, graph 0 to %.8g, graph 1 nohead dt 2 ",
                suggested, suggested);
  return gp + "EOD\n" + range + "set terminal pngcairo size 760,440 font 'sans,11'\n" +
         "set output outdir.'/lr_find.png'\nset logscale x\nset format x '10^{%L}'\nset grid\n"
         "set xlabel 'learning rate'\nset ylabel 'training loss'\nset key top left\n"
         "set title 'Learning-rate range test'\n" +
         line + "lc rgb '#d62728'\n" +
         "plot $points using 1:2 with lines lc rgb '#a6c8e6' title 'loss', "
         "$points using 1:3 with lines lw 2 lc rgb '#1f77b4' title 'smoothed'\n";
}

}  // namespace

void write_lr_find(const std::string& folder, const nlohmann::json& result, std::ostream& log) {
  std::error_code error;
  fs::create_directories(folder, error);
  if (error) throw ConfigError(folder + ": cannot create the folder: " + error.message());
  const fs::path path(folder);
  write_file_atomically((path / "lr_find.json").string(), result.dump(2) + "\n");
  write_file_atomically((path / "lr_find.html").string(), lr_find_html(result));
  log << "lr-find: " << (path / "lr_find.html").string() << ", lr_find.json; "
      << draw_figures(path, "lr_find", lr_find_gnuplot(result), {".png"}) << "\n";
}

}  // namespace gradlab
