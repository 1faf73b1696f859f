#!/usr/bin/env bash
# gradlab export checked by an independent runtime: the shipped MLP and LeNet and a model of
# every exportable layer (tests/onnx/every_layer.json), each trained for one epoch on synthetic
# 28 × 28 data, exported to ONNX, and run by ONNX Runtime (npm onnxruntime-node, fetched by
# scripts/fetch-npm.sh onnxruntime) on 100 test images: the logits must match `gradlab predict
# --json` within 1e-4 and give the same classes. Prints the largest difference per model.
# Usage: onnx_test.sh GRADLAB MAKE_SYNTHETIC_IDX SOURCE_DIR
set -u
gradlab=$1 make_data=$2 source=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
if ! "$source/scripts/fetch-npm.sh" onnxruntime >"$work/fetch.log" 2>&1; then
  echo "FAILED: ONNX Runtime could not be fetched, so the export is unchecked:"
  tail -3 "$work/fetch.log" | sed 's/^/    /'
  exit 1
fi
modules="$source/.cache/onnxruntime/node_modules"
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
  case $name in
    mlp | lenet) model=$(model_of "$source/experiments/mnist_$name.json") ;;
    every_layer) model=$(cat "$source/tests/onnx/every_layer.json") ;;
  esac
  run="$work/$name"
  if ! "$gradlab" train "$config" --set "data.folder=\"$work/data\"" --set "output=\"$run\"" \
      --set epochs=1 --set "model=$model" >"$work/$name.train.log" 2>&1; then
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
exit $failed
