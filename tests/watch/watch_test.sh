#!/usr/bin/env bash
# gradlab watch in a real browser while a run trains: the page (check_watch.js) must show the
# first epochs, then more as the run goes on, then the finished run, with no console error; the
# server refuses paths out of the run folder; the errors of the command line.
# Usage: watch_test.sh GRADLAB MAKE_SYNTHETIC_IDX SOURCE_DIR [SCREENSHOT.png]
set -u
gradlab=$1 make_data=$2 source=$3 screenshot=${4:-}
work=$(mktemp -d)
pids=()
trap 'kill -CONT "${pids[@]}" 2>/dev/null; kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
source "$source/tests/expect.sh"

npm_bundle playwright "the live page is untested in a browser"
need_chromium "the live page is untested"

"$make_data" "$work/data" 3000 100 >/dev/null
run="$work/run"
# 25 epochs, the loss logged every 20 steps; paused after its first epoch until the page has seen
# it (check_watch.js resumes it).
"$gradlab" train "$source/tests/cli/tiny.json" --set "data.folder=\"$work/data\"" \
  --set "output=\"$run\"" --set epochs=25 --set log_every_steps=20 >"$work/train.log" 2>&1 &
trainer=$!
pids+=($trainer)
for _ in $(seq 600); do
  grep -q train_accuracy "$run/metrics.jsonl" 2>/dev/null && kill -STOP $trainer && break
  sleep 0.01
done

"$gradlab" watch "$run" --port 0 --interval 0.2 >"$work/watch.log" 2>&1 &
pids+=($!)
url=""
for _ in $(seq 100); do
  url=$(sed -n 's|^watching .* at \(http://127.0.0.1:[0-9]*/\).*|\1|p' "$work/watch.log")
  [[ -n "$url" ]] && break
  sleep 0.1
done
check "gradlab watch says where it listens" -- test -n "$url"
expect 0 "ssh -L [0-9]+:127.0.0.1:[0-9]+ " -- cat "$work/watch.log"

node "$source/tests/watch/check_watch.js" "$modules" "$url" $trainer $screenshot >"$work/page.json" 2>"$work/page.err"
check "Chromium follows the live page without an error" -- test $? -eq 0
cat "$work/page.err"
kill -CONT $trainer 2>/dev/null  # should the page have failed before resuming it
wait $trainer
expect 0 '"first_status":"running: [0-9]+ of 25 epochs done"' -- cat "$work/page.json"
expect 0 '"eta_while_running":true' -- cat "$work/page.json"
expect 0 "" -- python3 -c "
import json, sys
page = json.load(open(sys.argv[1]))
assert page['first'] >= 1 and page['grown'] > page['first'], page
assert page['epoch_rows'] == 25, page
assert page['charts'] == ['Loss', 'Accuracy', 'Learning rate'], page
assert 'train (per logged step)' in page['step_series'], page
assert page['status'] == 'finished: 25 of 25 epochs' and page['banner_hidden'], page
# 4 tensors, 4 layers' outputs (the convolution's inside its ReLU's), 1 ReLU; 1875 steps, a
# reading every 100
assert page['heatmaps'] == {'layer-heatmap': [4, 18], 'activation-heatmap': [4, 18], 'relu-heatmap': [1, 18]}, page
" "$work/page.json"

# Only the run folder's own files; curl sends the path as written (no "..").
http_status=(curl -s -o /dev/null -w "%{http_code}" --path-as-is)
expect 0 "^200$" -- "${http_status[@]}" "${url}files/config.json"
expect 0 "^404$" -- "${http_status[@]}" "${url}files/../watch.log"
expect 0 "^404$" -- "${http_status[@]}" "${url}files/%2e%2e/watch.log"
ln -s "$work/watch.log" "$run/out.log"
expect 0 "^404$" -- "${http_status[@]}" "${url}files/out.log"
expect 0 "^404$" -- "${http_status[@]}" "${url}nothing"

expect 1 "not a run folder" -- "$gradlab" watch "$work/data" --port 0
port=${url##*:}; port=${port%/}
expect 1 "cannot listen on 127.0.0.1:$port" -- "$gradlab" watch "$run" --port "$port"
finish watch
