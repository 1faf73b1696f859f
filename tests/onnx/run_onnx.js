// Runs an exported model in ONNX Runtime (the npm package onnxruntime-node, fetched by
// scripts/fetch-npm.sh onnxruntime) on the images of an IDX file, as `gradlab predict --json` does:
// pixels / 255 in, one JSON line per image out, {"class", "logits"}.
// Usage: node run_onnx.js ORT_NODE_MODULES MODEL.onnx IMAGES-idx3-ubyte [BATCH]
//   BATCH: images per run (default all at once; a model exported with a fixed batch needs it).
const fs = require('fs');
const path = require('path');
const [modules, model, images, batchArgument] = process.argv.slice(2);
const ort = require(path.resolve(modules, 'onnxruntime-node'));

function readIdx3(file) {
  const bytes = fs.readFileSync(file);
  if (bytes.readUInt32BE(0) !== 0x00000803) throw new Error(`${file}: not an IDX file of bytes, 3 dims`);
  const [count, height, width] = [4, 8, 12].map((at) => bytes.readUInt32BE(at));
  return {count, height, width, pixels: bytes.subarray(16, 16 + count * height * width)};
}

(async () => {
  const session = await ort.InferenceSession.create(model);
  const {count, height, width, pixels} = readIdx3(images);
  const batch = batchArgument ? Number(batchArgument) : count;
  const plane = height * width;
  for (let first = 0; first < count; first += batch) {
    const n = Math.min(batch, count - first);
    const x = new Float32Array(n * plane);
    for (let i = 0; i < n * plane; i++) x[i] = pixels[first * plane + i] / 255;
    const out = await session.run({pixels: new ort.Tensor('float32', x, [n, 1, height, width])});
    const logits = out.logits.data, classes = logits.length / n;
    for (let k = 0; k < n; k++) {
      const row = Array.from(logits.subarray(k * classes, (k + 1) * classes));
      const predicted = row.indexOf(Math.max(...row));
      console.log(JSON.stringify({image: first + k, class: predicted, logits: row}));
    }
  }
})().catch((error) => {
  console.error(`run_onnx: ${error.message}`);
  process.exit(1);
});
