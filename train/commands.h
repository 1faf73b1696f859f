// The gradlab subcommands. Each returns the process exit code and throws on bad input; the
// caller (train/main.cpp) prints the error on one line.
#pragma once

#include <string>
#include <vector>

#include "train/lr_find.h"

namespace gradlab {

// gradlab train CONFIG [--set k=v]... [--resume RUN_DIR]. With --resume, the run's own
// config.json is the base (CONFIG may be omitted) and --set overrides it (e.g. epochs=10).
// --backend B is the same as --set backend=B, --precision P as --set precision=P.
int train_command(const std::string& config_path, std::vector<std::string> overrides,
                  const std::string& resume_dir, const std::string& backend,
                  const std::string& precision);

// gradlab eval CHECKPOINT [--data DIR] [--report FILE] [--tta VIEWS]: metrics and confusion
// matrix on the test split (t10k); with a report path, also a run report (train/report/report.h)
// of this evaluation, with the curves of the checkpoint's run when it sits in a run folder. tta:
// "" for the checkpoint config's test-time views, "none", or views separated by commas.
int eval_command(const std::string& checkpoint_path, const std::string& data_dir,
                 const std::string& backend, const std::string& report_path = "",
                 const std::string& tta = "");

// gradlab report RUN_DIR: RUN_DIR/report.html (and its PNG copies) for a finished, stopped or
// running run, its best checkpoint evaluated on the test split.
int report_command(const std::string& run_dir, const std::string& backend);

// gradlab predict CHECKPOINT INPUT...: class and probabilities per image; an input is an image
// (PNG, JPEG, PGM; resized as the training images were), a folder of them (recursively) or an IDX
// file. json: one line per image, {"image", "class", "logits"} at full precision. csv_path: also
// a CSV there (image, class, name, one probability per class), written atomically.
int predict_command(const std::string& checkpoint_path, const std::vector<std::string>& inputs,
                    const std::string& backend, bool json = false,
                    const std::string& csv_path = "");

// gradlab lr-find CONFIG [--set k=v]... [--steps N] [--start X] [--end Y] [--output DIR]: the
// learning-rate range test (train/lr_find.h) on the config's data and model; its page, data and
// figure into `output` ("" for the config's output folder + "_lr_find").
int lr_find_command(const std::string& config_path, const std::vector<std::string>& overrides,
                    const LrFindOptions& options, const std::string& output);

// gradlab summary CONFIG: each layer, its output shape, parameter count and FLOPs.
int summary_command(const std::string& config_path, const std::vector<std::string>& overrides);
// gradlab export CHECKPOINT --onnx FILE [--batch dynamic|N]: the model as an ONNX graph
// (models/onnx_export.h), written atomically. version: gradlab's, for the model's doc string.
int export_command(const std::string& checkpoint_path, const std::string& onnx_path,
                   const std::string& batch, const std::string& version);

// gradlab gradcheck CONFIG: float64 finite-difference check of the configured model and loss on
// `batch` random inputs, up to `elements` elements per parameter; exit 1 if any error > 1e-6.
int gradcheck_command(const std::string& config_path, const std::vector<std::string>& overrides,
                      std::size_t batch, std::size_t elements);

}  // namespace gradlab
