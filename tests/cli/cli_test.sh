#!/usr/bin/env bash
# The command line end to end, on synthetic data: exit codes and messages of every subcommand,
# on good input and on bad. Usage: cli_test.sh GRADLAB MAKE_SYNTHETIC_IDX SOURCE_DIR
set -u
gradlab=$1 make_data=$2 source=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GRADLAB_CACHE_DIR="$work/cache"  # image folders' caches: not in the user's ~/.cache
source "$source/tests/expect.sh"

"$make_data" "$work/data" 600 100
config="$source/tests/cli/tiny.json"
run="$work/run"

expect 0 "test \(100 images.*accuracy" -- "$gradlab" train "$config" --set "data.folder=\"$work/data\"" --set "output=\"$run\""
expect 0 '"epochs_run": 2' -- cat "$run/final_metrics.json"
# Layer statistics every 5 of the 30 steps: 6 readings of the four parameter tensors and of the
# layers' outputs (the convolution's ReLU runs inside it on oneDNN: only the ReLU's output exists),
# their cost in the log; the default interval (100) is longer than this run.
expect 0 "layer statistics: 6 readings in layer_stats.jsonl, [0-9.]+ s \([0-9.]+% of the run\)" -- "$gradlab" train "$config" --set "data.folder=\"$work/data\"" --set "output=\"$work/stats_run\"" --set log.layer_stats_every=5
expect 0 "^6 readings: steps 5-30, tensors 0.weight 0.bias 4.weight 4.bias, outputs 1:relu 2:maxpool2d 3:flatten 4:linear$" -- python3 -c "
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
names = [l['name'] for l in lines[0]['layers']]
assert all([l['name'] for l in line['layers']] == names for line in lines)
assert all(l['norm'] > 0 and l['grad_norm'] > 0 and l['update_ratio'] > 0 for line in lines for l in line['layers'])
outputs = [a['name'] + ':' + a['kind'] for a in lines[0]['activations']]
assert all([a['name'] + ':' + a['kind'] for a in line['activations']] == outputs for line in lines)
assert all(a['std'] > 0 and 0 <= a['zero_fraction'] < 1 for line in lines for a in line['activations'])
assert all(a['mean'] > 0 for line in lines for a in line['activations'] if a['kind'] == 'relu')
print(f\"{len(lines)} readings: steps {lines[0]['step']}-{lines[-1]['step']}, tensors {' '.join(names)}, outputs {' '.join(outputs)}\")" "$work/stats_run/layer_stats.jsonl"
expect 1 "" -- test -e "$run/layer_stats.jsonl"
expect 0 '"folder": "'"$work/data"'"' -- cat "$run/config.json"
expect 1 "already holds a run" -- "$gradlab" train "$config" --set "data.folder=\"$work/data\"" --set "output=\"$run\""
expect 0 "resuming .* after epoch 2" -- "$gradlab" train --resume "$run" --set epochs=3
expect 0 "accuracy .*confusion matrix" -- bash -c "'$gradlab' eval '$run/checkpoints/best.safetensors' | tr '\n' ' '"
# Test-time views: asked on the command line (each image and its mirror), or none; a bad one is
# refused by name.
expect 0 "\(100 images\), test-time views mirror, shift_up$" -- "$gradlab" eval "$run/checkpoints/best.safetensors" --tta mirror,shift_up
expect 0 "\(100 images\)$" -- "$gradlab" eval "$run/checkpoints/best.safetensors" --tta none
expect 1 "--tta: unknown test-time view \"flip\" \(valid: mirror, shift_left" -- "$gradlab" eval "$run/checkpoints/best.safetensors" --tta flip
# A checkpoint written by an earlier build (tests/fixtures/README.md) still evaluates.
expect 0 "\(100 images\) loss .* accuracy 100.00%" -- bash -c "'$gradlab' eval '$source/tests/fixtures/tiny_checkpoint_v1.safetensors' --data '$work/data' | tr '\n' ' '"
expect 0 "t10k-images-idx3-ubyte\[99\]: class [0-9]" -- "$gradlab" predict "$run/checkpoints/best.safetensors" "$work/data/t10k-images-idx3-ubyte"
# A PGM image: a 28×28 bright block where class 0's block is (rows 2–7, columns 1–6).
{
  printf 'P5\n# class 0\n28 28\n255\n'
  for i in $(seq 0 27); do for j in $(seq 0 27); do
    if ((i >= 2 && i < 8 && j >= 1 && j < 7)); then printf '\xe0'; else printf '\x10'; fi
  done; done
} >"$work/zero.pgm"
expect 0 "zero.pgm: class 0" -- "$gradlab" predict "$run/checkpoints/best.safetensors" "$work/zero.pgm"
printf 'P5\n3 3\n255\n123456789' >"$work/small.pgm"
expect 1 "small.pgm: image is 3x3, the model takes 28x28" -- "$gradlab" predict "$run/checkpoints/best.safetensors" "$work/small.pgm"

# Image folders: the IDX set written out as colour JPEGs (train/, test/), inspected, trained on
# (decoded once into the cache, read from it by eval), evaluated, and predicted to a CSV.
expect 0 "train: 600 images written" -- "$gradlab" data write-folder "$work/folder" --dataset idx --data "$work/data" --format jpeg --channels 3
expect 0 "image_folder \(train/, test/\), 10 classes.*mode +JPEG RGB 8-bit: 700 images.*no problems found" -- bash -c "'$gradlab' data inspect '$work/folder' | tr '\n' ' '"
expect 0 '"kind": "idx"' -- "$gradlab" data inspect "$work/data" --json
expect 0 "decoding 600 images into the cache.*test \(100 images.*accuracy" -- bash -c "'$gradlab' train '$config' --set data.dataset=image_folder --set data.channels=3 --set 'data.folder=\"$work/folder\"' --set 'output=\"$work/folder_run\"' | tr '\n' ' '"
expect 0 '"class_names": \[' -- cat "$work/folder_run/config.json"
expect 0 "\(100 images\) loss .* accuracy" -- bash -c "'$gradlab' eval '$work/folder_run/checkpoints/best.safetensors' | tr '\n' ' '"
expect 0 "class0.jpg|00[0-9]+\.jpg: class [0-9]" -- "$gradlab" predict "$work/folder_run/checkpoints/best.safetensors" "$work/folder/test" --csv "$work/predictions.csv"
expect 0 "^image,class,name,p_0,p_1,p_2,p_3,p_4,p_5,p_6,p_7,p_8,p_9$" -- head -1 "$work/predictions.csv"
expect 0 "^101$" -- bash -c "wc -l <'$work/predictions.csv'"
expect 1 "small.pgm: image is 3x3, the model takes 28x28 colour" -- "$gradlab" predict "$work/folder_run/checkpoints/best.safetensors" "$work/small.pgm"
# One folder of class folders: no test split unless drawn (data.test_split); without one, the run
# still finishes, saying so.
expect 0 "no test split evaluated: data.test_split: .*folder/train has no test/ folder" -- "$gradlab" train "$config" --set data.dataset=image_folder --set "data.folder=\"$work/folder/train\"" --set "output=\"$work/flat_run\"" --set epochs=1
expect 0 "test \(120 images" -- "$gradlab" train "$config" --set data.dataset=image_folder --set "data.folder=\"$work/folder/train\"" --set "output=\"$work/flat_split_run\"" --set epochs=1 --set data.test_split=0.2
mkdir -p "$work/folder/test/stray"
expect 1 "test/stray: class 'stray' is not among the training classes" -- "$gradlab" eval "$work/folder_run/checkpoints/best.safetensors"
expect 0 "test/stray: class 'stray' in test but not in train" -- "$gradlab" data inspect "$work/folder"
expect 1 "nowhere: not found; data.folder of an image_folder" -- "$gradlab" train "$config" --set data.dataset=image_folder --set 'data.folder="/nowhere"'

# A CSV table: two numeric columns and a categorical one decide the class; trained, evaluated on
# its test file and on another, predicted from a file without labels into a CSV.
awk 'BEGIN { srand(5); print "a,b,shade,class";
  for (i = 0; i < 400; i++) { a = rand() * 10; b = rand(); s = (rand() < 0.5 ? "dark" : "light");
    print a "," b "," s "," (a > 5 ? (s == "dark" ? "big-dark" : "big-light") : "small") } }' >"$work/table.csv"
head -1 "$work/table.csv" >"$work/table_test.csv" && tail -100 "$work/table.csv" >>"$work/table_test.csv"
echo '{"seed": 1, "data": {"dataset": "csv", "label": "class"}, "model": {"name": "mlp", "hidden": [16]},
  "optimizer": {"type": "adam", "lr": 0.02}, "epochs": 20, "batch_size": 32}' >"$work/table.json"
expect 0 "test \(100 rows" -- "$gradlab" train "$work/table.json" --set "data.file=\"$work/table.csv\"" --set "data.test_file=\"$work/table_test.csv\"" --set "output=\"$work/table_run\""
expect 0 "accuracy (9[0-9]|100)\.[0-9]+%.*big-dark" -- bash -c "'$gradlab' eval '$work/table_run/checkpoints/best.safetensors' | tr '\n' ' '"
expect 0 "table_test.csv \(100 rows\)" -- "$gradlab" eval "$work/table_run/checkpoints/best.safetensors" --data "$work/table_test.csv"
cut -d, -f1-3 "$work/table_test.csv" >"$work/unlabelled.csv"
expect 0 "unlabelled.csv\[99\]: class [0-2]" -- "$gradlab" predict "$work/table_run/checkpoints/best.safetensors" "$work/unlabelled.csv" --csv "$work/table_predictions.csv"
expect 0 "^image,class,name,p_big-dark,p_big-light,p_small$" -- head -1 "$work/table_predictions.csv"
printf 'a,b,shade,class\n1,2,dark,small\n3,4\n' >"$work/ragged.csv"
expect 1 "ragged.csv:3: 2 fields, the header has 4" -- "$gradlab" eval "$work/table_run/checkpoints/best.safetensors" --data "$work/ragged.csv"
expect 1 "data.label: .*table.csv has no column 'klass'; did you mean 'class'\?" -- "$gradlab" train "$work/table.json" --set "data.file=\"$work/table.csv\"" --set data.label=klass

# bf16 mixed precision: trains where the CPU has AVX512_BF16 or AMX (the log says so; the second
# convolution, with four input channels, computes in bf16), and is refused in one line where it
# has neither (here made so by lowering oneDNN's instruction set) and on the reference backend.
bf16_layers='model.layers=[{"type": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1}, {"type": "relu"}, {"type": "conv2d", "out_channels": 8, "kernel_size": 3, "stride": 2, "padding": 1}, {"type": "batchnorm2d"}, {"type": "relu"}, {"type": "flatten"}, {"type": "linear", "out_features": 10}]'
if grep -qwE "avx512_bf16|amx_bf16" /proc/cpuinfo; then
  expect 0 "precision bf16 on avx512_core_(bf16|amx).*test \(100 images.*accuracy" -- bash -c "'$gradlab' train '$config' --precision bf16 --set 'data.folder=\"$work/data\"' --set '$bf16_layers' --set 'output=\"$work/bf16_run\"' | tr '\n' ' '"
  expect 0 '"precision": "bf16"' -- cat "$work/bf16_run/config.json"
  # Its checkpoint is float32: eval computes in float32; a float32 run (3 epochs) resumes in bf16.
  expect 0 "\(100 images\) loss .* accuracy" -- bash -c "'$gradlab' eval '$work/bf16_run/checkpoints/best.safetensors' | tr '\n' ' '"
  expect 0 "resuming .* after epoch 3.*precision bf16.*test \(100 images" -- bash -c "'$gradlab' train --resume '$run' --precision bf16 --set epochs=4 | tr '\n' ' '"
else
  expect 1 'precision: "bf16" needs a CPU with AVX512_BF16 or AMX; this one has neither' -- "$gradlab" train "$config" --precision bf16 --set "data.folder=\"$work/data\"" --set "output=\"$work/bf16_run\""
fi
expect 1 'precision: "bf16" needs a CPU with AVX512_BF16 or AMX; this one has neither \(oneDNN.s instruction set here: avx2\); use "f32"' -- env ONEDNN_MAX_CPU_ISA=AVX2 "$gradlab" train "$config" --precision bf16 --set "data.folder=\"$work/data\"" --set "output=\"$work/bf16_refused\""
check "a refused run leaves no run folder" -- test ! -e "$work/bf16_refused"
expect 1 'precision: "bf16" runs on the onednn backend; backend is "reference"' -- "$gradlab" train "$config" --precision bf16 --backend reference --set "data.folder=\"$work/data\""
expect 105 "precision: f16 not in" -- "$gradlab" train "$config" --precision f16

expect 0 "total: .* parameters" -- "$gradlab" summary "$config" --set "data.folder=\"$work/data\""
expect 0 "PASS" -- "$gradlab" gradcheck "$config" --set "data.folder=\"$work/data\"" --elements 20
# The learning-rate range test: its page, data and figure, and a suggestion inside the sweep whose
# rule is stated; bad bounds refused.
expect 0 "suggested rate .*rule: the steepest descent of the smoothed loss" -- bash -c \
  "'$gradlab' lr-find '$config' --set 'data.folder=\"$work/data\"' --steps 40 --output '$work/lr' | tr '\n' ' '"
expect 0 "^40 1e-07 10(\.0)? ok$" -- python3 -c "import json, sys
r = json.load(open(sys.argv[1]))
s = r['suggestion']
ok = all(r['rates'][0] <= s[k] <= r['rates'][-1] for k in ('suggested', 'minimum', 'valley')) and s['suggested'] == s['steepest']
print(len(r['rates']) if not r['stopped_early'] else 'stopped', r['start'], r['end'], 'ok' if ok else s)" "$work/lr/lr_find.json"
expect 0 "Suggested learning rate: <strong>" -- cat "$work/lr/lr_find.html"
expect 0 "" -- test -s "$work/lr/lr_find.png"
expect 1 "--start, --end: need 0 < start < end" -- "$gradlab" lr-find "$config" --set "data.folder=\"$work/data\"" --start 1 --end 0.1 --output "$work/lr2"
# A residual block with BatchNorm and a dropout inside: summary shows its layers by path;
# gradcheck (dropout masks frozen inside the block too) passes.
block='model.layers=[{"type": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1},
  {"type": "residual", "body": [{"type": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1},
    {"type": "batchnorm2d"}, {"type": "relu"}, {"type": "dropout", "p": 0.3}]},
  {"type": "global_avgpool2d"}, {"type": "flatten"}, {"type": "linear", "out_features": 10}]'
expect 0 "1\.body\.2 +ReLU" -- "$gradlab" summary "$config" --set "data.folder=\"$work/data\"" --set "$block"
expect 0 "PASS" -- "$gradlab" gradcheck "$config" --set "data.folder=\"$work/data\"" --set "$block" --batch 3 --elements 20

# An export onto the checkpoint itself (or another checkpoint) is refused, naming both paths,
# and the checkpoint still evaluates afterwards.
cp "$run/checkpoints/best.safetensors" "$work/keep.safetensors"
expect 1 "--onnx $work/keep.safetensors: is the checkpoint being exported \\($work/keep.safetensors\\)" -- "$gradlab" export "$work/keep.safetensors" --onnx "$work/keep.safetensors"
ln -s "$work/keep.safetensors" "$work/link.safetensors"
expect 1 "is the checkpoint being exported" -- "$gradlab" export "$work/keep.safetensors" --onnx "$work/link.safetensors"
expect 1 "--onnx $run/checkpoints/last.safetensors: is an existing checkpoint" -- "$gradlab" export "$work/keep.safetensors" --onnx "$run/checkpoints/last.safetensors"
expect 0 "accuracy .*confusion matrix" -- bash -c "'$gradlab' eval '$work/keep.safetensors' --data '$work/data' | tr '\n' ' '"
expect 0 "accuracy .*confusion matrix" -- bash -c "'$gradlab' eval '$run/checkpoints/last.safetensors' --data '$work/data' | tr '\n' ' '"

# Bad input: one line on stderr, non-zero exit.
expect 1 "/nonexistent.json: cannot open" -- "$gradlab" train /nonexistent.json
echo '{"data": {"dataset": "idx", "folder": "x"}, "model": {"name": "mlp"}, "optimizer": {"type": "sgd", "lr": 0.1}, "epochs": 1, "batch_sise": 8}' >"$work/typo.json"
expect 1 'typo.json: batch_sise: unknown key; did you mean "batch_size"\?' -- "$gradlab" train "$work/typo.json"
echo '{"data": {' >"$work/broken.json"
expect 1 "broken.json:2:1: invalid JSON" -- "$gradlab" train "$work/broken.json"
expect 1 "nope.safetensors: cannot open" -- "$gradlab" eval "$work/nope.safetensors"
expect 1 "give a CONFIG file, or --resume" -- "$gradlab" train
expect 105 "Directory does not exist" -- "$gradlab" train --resume "$work/no-such-run"
expect 3 "training diverged at step [0-9]+ \(epoch 1\)" -- "$gradlab" train "$config" --set "data.folder=\"$work/data\"" --set "output=\"$work/diverge\"" --set 'optimizer={"type": "sgd", "lr": 1e30}'

# Messages name what is at fault: a --set value out of range; a model key, with the config's file.
expect 1 "^gradlab: error: --set optimizer.lr=1e999: the number 1e999 is out of range" -- "$gradlab" train "$config" --set "optimizer.lr=1e999"
echo '{"data": {"dataset": "idx", "folder": "'"$work/data"'"}, "model": {"name": "mlp", "hidden": [0]}, "optimizer": {"type": "sgd", "lr": 0.1}, "epochs": 1}' >"$work/hidden.json"
expect 1 "hidden.json: model.hidden\[0\]: expected an integer >= 1, got 0" -- "$gradlab" train "$work/hidden.json" --set "output=\"$work/hidden\""
# A run that climbs far above its starting loss stops (exit 3), naming the step, before a checkpoint.
expect 3 "training diverged at step [0-9]+ \(epoch 1\): the training loss averaged over steps" -- "$gradlab" train "$config" --set "data.folder=\"$work/data\"" --set "output=\"$work/climb\"" --set optimizer.lr=1e6
expect 2 "^ls: cannot access" -- ls "$work/climb/checkpoints/last.safetensors"
# A resumed run's header says the rate that runs (its --set), not the checkpoint's.
expect 0 "optimizer: Adam\(lr=0.02," -- "$gradlab" train --resume "$run" --set epochs=3 --set optimizer.lr=0.02

# One trainer per run folder: a second trainer, or a resume of the running run, is refused naming
# the holder's PID and host; the kernel releases the lock when the holder dies, even by kill -9.
locked="$work/locked"
"$gradlab" train "$config" --set "data.folder=\"$work/data\"" --set "output=\"$locked\"" --set epochs=100000 >/dev/null 2>&1 &
holder=$!
for _ in $(seq 1 300); do [[ -f "$locked/checkpoints/last.safetensors" ]] && break; sleep 0.05; done
expect 1 "$locked is in use by another gradlab process \(PID $holder on $(hostname)\) training there; cannot start another run there" -- "$gradlab" train "$config" --set "data.folder=\"$work/data\"" --set "output=\"$locked\""
expect 1 "\(PID $holder on $(hostname)\) training there; cannot resume it until it stops" -- "$gradlab" train --resume "$locked"
kill -9 "$holder"
wait "$holder" 2>/dev/null
expect 0 "resuming .* after epoch [0-9]+" -- "$gradlab" train --resume "$locked" --set epochs=1

# gradlab pca: the figures and tables, and its argument checks.
pca="$work/pca"
expect 0 "^ +12 +[01]\.[0-9]+ +[0-9.]+ +[0-9.]+" -- "$gradlab" pca --data "$work/data" --components 12 --ks 1,4,12 --out "$pca"
expect 0 "^13 " -- bash -c "wc -l < '$pca/explained_variance.csv' | xargs printf '%s lines\n'"
expect 0 "^k,split,.*
1,t10k,.*
4,t10k,.*
12,t10k," -- cat "$pca/reconstruction_error.csv"
expect 0 "PNG" -- head -c 4 "$pca/eigendigits.png"
expect 0 "PNG" -- head -c 4 "$pca/reconstructions.png"
expect 0 '"10": [01]\.[0-9]+' -- cat "$pca/summary.json"
expect 0 "by svd" -- "$gradlab" pca --data "$work/data" --components 5 --method svd --samples 300 --out "$pca-svd"
expect 1 "--components must be in \[1, 784\] \(pixels per image\), got 785" -- "$gradlab" pca --data "$work/data" --components 785 --out "$pca"
expect 1 "--ks: 20 is outside \[1, --components = 10\]" -- "$gradlab" pca --data "$work/data" --components 10 --ks 5,20 --out "$pca"
expect 1 "--samples must be in \[2, 600\]" -- "$gradlab" pca --data "$work/data" --samples 601 --out "$pca"
expect 1 "nowhere/train-images-idx3-ubyte.*cannot open|nowhere/train-images.*(missing|not found|no such)" -- "$gradlab" pca --data "$work/nowhere" --out "$pca"
expect 1 "--out $work/run/config.json/x: cannot create the folder" -- "$gradlab" pca --data "$work/data" --out "$work/run/config.json/x"
expect 105 "method: .*not in" -- "$gradlab" pca --data "$work/data" --method qr

finish "cli"
