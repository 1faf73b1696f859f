// PNG copies of a run report's learning curves and confusion matrix, drawn by gnuplot (Debian's
// gnuplot-nox, its pngcairo terminal): for people who read runs in a terminal or put them in a
// paper. Why gnuplot and not charts of our own on cairo: docs/decisions.md.
//
// Beside report.html go <stem>-figures.gp (the data and the plot commands in one file; `gnuplot
// report-figures.gp` redraws the PNGs, to restyle them) and the PNGs <stem>-curves.png (loss,
// accuracy, learning rate) and <stem>-confusion.png, each written atomically.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gradlab {

// The gnuplot script for report_data's JSON (train/report/report.h). Its PNGs go to the folder
// in the gnuplot variable `outdir` (default: the current folder).
std::string report_figures_script(const nlohmann::json& data, const std::string& stem);

// Writes the script and runs gnuplot on it; returns a line saying what it wrote, or why it wrote
// no PNGs (gnuplot missing; gnuplot's own error message).
std::string draw_report_figures(const std::filesystem::path& html_path, const nlohmann::json& data);

// Any figures: writes <folder>/<stem>-figures.gp and runs gnuplot on it with `outdir` set to a
// scratch folder; each PNG <stem><suffix> it draws is renamed into `folder`. Returns the line
// saying what it wrote, or why it wrote nothing.
std::string draw_figures(const std::filesystem::path& folder, const std::string& stem,
                         const std::string& script, const std::vector<std::string>& png_suffixes);

}  // namespace gradlab
