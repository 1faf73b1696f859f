#!/usr/bin/env bash
# gradlab export checked by an independent runtime: the shipped MLP and LeNet and a model of
# every exportable layer (tests/onnx/every_layer.json), each trained for one epoch on synthetic
# 28 × 28 data, a colour image-folder model and a CSV table's model, exported to ONNX, and run by
# ONNX Runtime (npm onnxruntime-node, fetched by
# scripts/fetch-npm.sh onnxruntime) on 100 test images: the logits must match `gradlab predict
# --json` within 1e-4 and give the same classes. Prints the largest difference per model.
# Usage: onnx_test.sh GRADLAB MAKE_SYNTHETIC_IDX SOURCE_DIR
set -u
gradlab=$1 make_data=$2 source=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$source/tests/expect.sh"  # npm_bundle
failed=0
npm_bundle onnxruntime "the export is unchecked"
"$make_data" "$work/data" 600 100 >/dev/null
images="$work/data/t10k-images-idx3-ubyte"
config="$source/tests/cli/tiny.json"
model_of() { python3 -c "import json, sys; print(json.dumps(json.load(open(sys.argv[1]))['model']))" "$1"; }

compare() {  # compare NAME GRADLAB_JSONL ORT_JSONL
  python3 - "$@" <<'PY'
import json, sys
name, ours, theirs = sys.argv[1:4]
a = [json.loads(line) for line in open(ours)]
b = [json.loads(line) for line in open(theirs)]
if len(a) != 100 or len(b) != 100:
    sys.exit(f"FAILED: {name}: {len(a)} gradlab and {len(b)} ONNX Runtime predictions, wanted 100")
worst = max(abs(x - y) for p, q in zip(a, b) for x, y in zip(p["logits"], q["logits"]))
scale = max(abs(x) for p in a for x in p["logits"])
classes = sum(p["class"] == q["class"] for p, q in zip(a, b))
print(f"onnx: {name}: max |logit difference| {worst:.2e} (largest logit {scale:.1f}), "
      f"same class on {classes}/100")
if worst > 1e-4 or classes != 100:
    sys.exit(f"FAILED: {name}")
PY
}

for name in mlp lenet every_layer; do
  # every_layer keeps a weight average, which predict and export both use (not the trained
  # weights: trainer_test.cpp shows predict's loader takes the average).
  ema=()
  case $name in
    mlp | lenet) model=$(model_of "$source/experiments/mnist_$name.json") ;;
    every_layer) model=$(cat "$source/tests/onnx/every_layer.json") ema=(--set ema.decay=0.9) ;;
  esac
  run="$work/$name"
  if ! "$gradlab" train "$config" --set "data.folder=\"$work/data\"" --set "output=\"$run\"" \
      --set epochs=1 --set "model=$model" "${ema[@]}" >"$work/$name.train.log" 2>&1; then
    echo "FAILED: $name: training"; tail -3 "$work/$name.train.log"; failed=1; continue
  fi
  checkpoint="$run/checkpoints/best.safetensors"
  "$gradlab" predict --json "$checkpoint" "$images" >"$work/$name.gradlab.jsonl" &&
    "$gradlab" export "$checkpoint" --onnx "$work/$name.onnx" >/dev/null &&
    node "$source/tests/onnx/run_onnx.js" "$modules" "$work/$name.onnx" "$images" >"$work/$name.ort.jsonl" &&
    compare "$name" "$work/$name.gradlab.jsonl" "$work/$name.ort.jsonl" || { echo "FAILED: $name"; failed=1; }
  # A fixed batch dimension: 100 images in batches of 25.
  "$gradlab" export "$checkpoint" --onnx "$work/$name.25.onnx" --batch 25 >/dev/null &&
    node "$source/tests/onnx/run_onnx.js" "$modules" "$work/$name.25.onnx" "$images" 25 >"$work/$name.ort25.jsonl" &&
    compare "$name (batch 25)" "$work/$name.gradlab.jsonl" "$work/$name.ort25.jsonl" || { echo "FAILED: $name, batch 25"; failed=1; }
done

# A colour image-folder model: the synthetic test images written as RGB PNGs (each grey value in
# R, G and B), predicted by gradlab from the folder and by ONNX Runtime from the IDX bytes given
# in three channels; predictions matched by the image's index (its file name).
"$gradlab" data write-folder "$work/colour" --dataset idx --data "$work/data" --channels 3 >/dev/null
export GRADLAB_CACHE_DIR="$work/cache"
reorder() {  # predict --json on a folder, as lines ordered by the index in each file's name
  python3 -c '
import json, os, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
rows.sort(key=lambda r: int(os.path.splitext(os.path.basename(r["image"]))[0]))
print("\n".join(json.dumps(r) for r in rows))' "$1"
}
if "$gradlab" train "$config" --set data.dataset=image_folder --set data.channels=3 \
    --set "data.folder=\"$work/colour\"" --set 'data.normalize="dataset"' \
    --set "output=\"$work/colour_run\"" --set epochs=1 >"$work/colour.train.log" 2>&1; then
  checkpoint="$work/colour_run/checkpoints/best.safetensors"
  "$gradlab" predict --json "$checkpoint" "$work/colour/test" >"$work/colour.folder.jsonl" &&
    reorder "$work/colour.folder.jsonl" >"$work/colour.gradlab.jsonl" &&
    "$gradlab" export "$checkpoint" --onnx "$work/colour.onnx" >/dev/null &&
    node "$source/tests/onnx/run_onnx.js" "$modules" "$work/colour.onnx" "$images" 100 3 >"$work/colour.ort.jsonl" &&
    compare "colour image folder" "$work/colour.gradlab.jsonl" "$work/colour.ort.jsonl" || { echo "FAILED: colour image folder"; failed=1; }
else
  echo "FAILED: colour image folder: training"; tail -3 "$work/colour.train.log"; failed=1
fi

# A table's model: two numeric columns and a categorical one; ONNX Runtime's input encoded from the
# CSV by the feature order in the model's metadata, standardised by the graph.
awk 'BEGIN { srand(3); print "a,b,shade,class";
  for (i = 0; i < 500; i++) { a = rand() * 10; b = rand() * 100; s = (rand() < 0.5 ? "dark" : "light");
    print a "," b "," s "," (a > 5 ? (s == "dark" ? "x" : "y") : "z") } }' >"$work/table.csv"
head -1 "$work/table.csv" >"$work/table_test.csv" && tail -100 "$work/table.csv" >>"$work/table_test.csv"
echo '{"seed": 1, "data": {"dataset": "csv", "label": "class"}, "model": {"name": "mlp", "hidden": [16]},
  "optimizer": {"type": "adam", "lr": 0.02}, "epochs": 3, "batch_size": 32}' >"$work/table.json"
if "$gradlab" train "$work/table.json" --set "data.file=\"$work/table.csv\"" \
    --set "data.test_file=\"$work/table_test.csv\"" --set "output=\"$work/table_run\"" >"$work/table.train.log" 2>&1; then
  checkpoint="$work/table_run/checkpoints/best.safetensors"
  "$gradlab" predict --json "$checkpoint" "$work/table_test.csv" >"$work/table.gradlab.jsonl" &&
    "$gradlab" export "$checkpoint" --onnx "$work/table.onnx" >/dev/null &&
    node "$source/tests/onnx/run_onnx.js" "$modules" "$work/table.onnx" "$work/table_test.csv" >"$work/table.ort.jsonl" &&
    compare "table" "$work/table.gradlab.jsonl" "$work/table.ort.jsonl" || { echo "FAILED: table"; failed=1; }
else
  echo "FAILED: table: training"; tail -3 "$work/table.train.log"; failed=1
fi
exit $failed
