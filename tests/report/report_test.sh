#!/usr/bin/env bash
# The run report in a real browser: a run on synthetic data writes report.html, which headless
# Chromium (tests/report/check_report.js) opens offline without a console error; the page must
# show as many epochs, classes and mistakes as the run's own files say (metrics.jsonl and
# final_metrics.json, written by the trainer, not by the report). Also `gradlab report` on a
# stopped and a running run, `gradlab eval --report`, the PNG copies, and the errors.
# Usage: report_test.sh GRADLAB MAKE_SYNTHETIC_IDX SOURCE_DIR
set -u
gradlab=$1 make_data=$2 source=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$source/tests/expect.sh"

npm_bundle playwright "the report is untested in a browser"
need_chromium "the report is untested"

"$make_data" "$work/data" 600 100 >/dev/null
config="$source/tests/cli/tiny.json"
run="$work/run"
# Three epochs on 24 training images (so that the model still makes mistakes on the test split),
# the loss logged every 5 steps, class names from the config, a weight average (whose
# validation curve the page shows beside the trained weights') and layer statistics every 3 of
# the 18 steps (the heat map: 4 tensors × 6 readings).
names='["zero","one","two","three","four","five","six","seven","eight","nine"]'
expect 0 "report: .*report.html; PNG copies report-curves.png, report-confusion.png" -- \
  "$gradlab" train "$config" --set "data.folder=\"$work/data\"" --set "output=\"$run\"" \
  --set epochs=3 --set data.limit=30 --set batch_size=4 --set log_every_steps=5 \
  --set "data.class_names=$names" --set ema.decay=0.9 --set log.layer_stats_every=3

# What the page must show, from the trainer's files: epochs, classes, mistakes on the test split.
expected() {  # expected RUN_DIR CAP: "EPOCHS CLASSES MISTAKES SHOWN"
  python3 - "$@" <<'PY'
import json, sys
run, cap = sys.argv[1], int(sys.argv[2])
lines = [json.loads(l) for l in open(run + "/metrics.jsonl") if l.strip()]
epochs = sum(1 for l in lines if "train_accuracy" in l)
confusion = json.load(open(run + "/final_metrics.json"))["test"]["confusion"]
mistakes = sum(confusion[t][p] for t in range(len(confusion)) for p in range(len(confusion)) if t != p)
print(epochs, len(confusion), mistakes, min(cap, mistakes))
PY
}
# shows REPORT EPOCHS CLASSES MISTAKES SHOWN [FIRST_CLASS]: the browser's reading of the page.
shows() {
  local report=$1 epochs=$2 classes=$3 mistakes=$4 shown=$5 first=${6:-}
  python3 - "$report.json" "$epochs" "$classes" "$mistakes" "$shown" "$first" <<'PY'
import json, sys
page = json.load(open(sys.argv[1]))
epochs, classes, mistakes, shown = map(int, sys.argv[2:6])
first = sys.argv[6]
wrong = []
def want(what, got, expected):
    if got != expected: wrong.append(f"{what}: page shows {got!r}, expected {expected!r}")
want("epoch rows", page["epoch_rows"], epochs)
want("confusion rows", page["confusion_rows"], classes)
want("confusion columns", page["confusion_columns"], classes)
want("per-class rows (+ macro mean)", page["per_class_rows"], classes + 1)
want("mistakes card", page["mistakes_card"], str(mistakes))
want("mistake images", page["mistakes_shown"], shown)
want("decoded mistake images", page["images_decoded"], shown)
want("charts", len(page["chart_titles"]), 3 if epochs else 0)
want("config shown", page["config_shown"], True)
if first: want("first class name", page["class_names"][0], first)
for line in wrong: print(line)
sys.exit(1 if wrong else 0)
PY
}
browse() {  # browse REPORT [SCREENSHOT]: check_report.js's JSON into REPORT.json; its complaints on stderr
  node "$source/tests/report/check_report.js" "$modules" "$@" >"$1.json"
}

read -r epochs classes mistakes shown < <(expected "$run" 100)
check "the synthetic run makes mistakes to show ($mistakes)" -- test "$mistakes" -gt 0
check "Chromium opens the page without an error" -- browse "$run/report.html"
check "report.html shows $epochs epochs, $classes classes, $mistakes mistakes" -- \
  shows "$run/report.html" "$epochs" "$classes" "$mistakes" "$shown" zero
expect 0 "finished: 3 of 3 epochs" -- cat "$run/report.html.json"
expect 0 '"heatmaps":\{"layer-heatmap":\[4,6\],"activation-heatmap":\[4,6\],"relu-heatmap":\[1,6\]\}' -- cat "$run/report.html.json"
expect 0 '"accuracy_series":\["epoch","train","validation","validation, weight average"\]' -- \
  cat "$run/report.html.json"
# The PNG copies are PNGs, and the gnuplot script beside them redraws them.
for png in report-curves.png report-confusion.png; do
  expect 0 "^PNG [0-9]{3,4} x [0-9]{3,4}$" -- python3 -c "import struct, sys
head = open(sys.argv[1], 'rb').read(24)
assert head[:8] == b'\\x89PNG\\r\\n\\x1a\\n', 'not a PNG'
print('PNG %d x %d' % struct.unpack('>II', head[16:24]))" "$run/$png"
done
expect 0 "" -- bash -c "cd '$work' && mkdir redrawn && gnuplot -e \"outdir='redrawn'\" '$run/report-figures.gp' && test -s redrawn/report-curves.png"

# gradlab report rebuilds it; on a stopped run (no final metrics, a half-written metrics line)
# and on a running one (its trainer's PID in run.lock) it shows the epochs so far.
rm "$run/report.html"
expect 0 "report: .*report.html" -- "$gradlab" report "$run"
check "Chromium opens the page without an error" -- browse "$run/report.html"
check "rebuilt report.html shows the same" -- \
  shows "$run/report.html" "$epochs" "$classes" "$mistakes" "$shown" zero
cp -r "$run" "$work/stopped"
rm "$work/stopped/final_metrics.json"
python3 - "$work/stopped/metrics.jsonl" <<'PY'
import json, sys
path = sys.argv[1]
lines = [l for l in open(path) if l.strip()]
epoch_lines = [i for i, l in enumerate(lines) if "train_accuracy" in json.loads(l)]
kept = lines[: epoch_lines[0] + 1]  # up to the first epoch's line
open(path, "w").write("".join(kept) + '{"epoch": 2, "st')  # a line being appended
PY
: >"$work/stopped/run.lock"  # its trainer has gone
expect 0 "report: .*stopped/report.html" -- "$gradlab" report "$work/stopped"
check "Chromium opens the page without an error" -- browse "$work/stopped/report.html"
expect 0 '"epoch_rows":1,.*"status":"stopped after 1 of 3 epochs' -- \
  python3 -c "import json,sys; p=json.load(open(sys.argv[1])); print(json.dumps({'epoch_rows': p['epoch_rows'], 'status': p['status']}, separators=(',', ':')))" "$work/stopped/report.html.json"
echo $$ >"$work/stopped/run.lock"  # this shell stands for a trainer still at work
expect 0 "report: " -- "$gradlab" report "$work/stopped"
check "Chromium opens the page without an error" -- browse "$work/stopped/report.html"
expect 0 '"status":"running: 1 of 3 epochs done"' -- cat "$work/stopped/report.html.json"

# A run before its first checkpoint: curves of nothing yet, and a note instead of an evaluation.
mkdir "$work/starting"
cp "$run/config.json" "$work/starting/"
expect 0 "report: " -- "$gradlab" report "$work/starting"
check "Chromium opens the page without an error" -- browse "$work/starting/report.html"
expect 0 "No checkpoint yet" -- cat "$work/starting/report.html.json"

# gradlab eval --report: a checkpoint on a data set; the curves of its run come along.
expect 0 "best.safetensors \(its weight average\) on .*accuracy .*report: $work/eval.html" -- \
  bash -c "'$gradlab' eval '$run/checkpoints/best.safetensors' --report '$work/eval.html' | tr '\n' ' '"
check "Chromium opens the page without an error" -- browse "$work/eval.html"
check "eval's report shows the run's epochs and the same evaluation" -- \
  shows "$work/eval.html" "$epochs" "$classes" "$mistakes" "$shown" zero
cp "$run/checkpoints/best.safetensors" "$work/alone.safetensors"  # outside its run folder
expect 0 "report: $work/alone.html" -- "$gradlab" eval "$work/alone.safetensors" --report "$work/alone.html"
check "Chromium opens the page without an error" -- browse "$work/alone.html"
check "a lone checkpoint's report shows its evaluation" -- \
  shows "$work/alone.html" 0 "$classes" "$mistakes" "$shown" zero
expect 0 "outside a run folder" -- cat "$work/alone.html.json"

# A colour image folder and a table: their mistakes as colour images, and as rows of numbers.
"$gradlab" data write-folder "$work/colour" --dataset idx --data "$work/data" --channels 3 >/dev/null
export GRADLAB_CACHE_DIR="$work/cache"
expect 0 "report: " -- "$gradlab" train "$config" --set data.dataset=image_folder --set data.channels=3 \
  --set "data.folder=\"$work/colour\"" --set "output=\"$work/colour_run\"" --set epochs=2 \
  --set data.limit=30 --set batch_size=4
read -r epochs classes mistakes shown < <(expected "$work/colour_run" 100)
check "the colour run makes mistakes to show ($mistakes)" -- test "$mistakes" -gt 0
check "Chromium opens the colour run's page without an error" -- browse "$work/colour_run/report.html"
check "the colour run's report shows its mistakes as images" -- \
  shows "$work/colour_run/report.html" "$epochs" "$classes" "$mistakes" "$shown"
awk 'BEGIN { srand(2); print "a,b,class";
  for (i = 0; i < 300; i++) { a = rand(); b = rand(); print a "," b "," (a + b + (rand() - 0.5) > 1 ? "up" : "down") } }' >"$work/table.csv"
echo '{"seed": 1, "data": {"dataset": "csv", "label": "class", "test_split": 0.3}, "model": {"name": "mlp", "hidden": [4]},
  "optimizer": {"type": "adam", "lr": 0.01}, "epochs": 2, "batch_size": 16}' >"$work/table.json"
expect 0 "report: " -- "$gradlab" train "$work/table.json" --set "data.file=\"$work/table.csv\"" --set "output=\"$work/table_run\""
read -r epochs classes mistakes shown < <(expected "$work/table_run" 100)
check "the table run makes mistakes to show ($mistakes)" -- test "$mistakes" -gt 0
check "Chromium opens the table run's page without an error" -- browse "$work/table_run/report.html"
expect 0 '"accuracy_series":\["epoch","train","validation"\]' -- cat "$work/table_run/report.html.json"
expect 0 "^$shown rows, 0 images$" -- python3 -c "import json, sys; p = json.load(open(sys.argv[1]))
print(f\"{p['rows_shown']} rows, {p['images_decoded']} images\")" "$work/table_run/report.html.json"

# Bad input: one line naming the fault.
expect 1 "metrics.jsonl:2: not a line of metrics.jsonl" -- bash -c "cp -r '$run' '$work/damaged' &&
  sed -i '2s/.*/garbage/' '$work/damaged/metrics.jsonl' && '$gradlab' report '$work/damaged'"
expect 1 "not a run folder \(it has no config.json\)" -- "$gradlab" report "$work/data"
expect 1 "data.class_names: expected a list of 10 names" -- "$gradlab" train "$config" \
  --set "data.folder=\"$work/data\"" --set "output=\"$work/x\"" --set 'data.class_names=["a","b"]'

finish "report"
