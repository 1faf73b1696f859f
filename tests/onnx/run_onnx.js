// Runs an exported model in ONNX Runtime (the npm package onnxruntime-node, fetched by
// scripts/fetch-npm.sh onnxruntime) on the images of an IDX file, as `gradlab predict --json` does:
// pixels / 255 in, one JSON line per image out, {"class", "logits"}; or, for a table's model, on
// the rows of a CSV file, encoded as the model's metadata says (its "features": "col" a number,
// "col=value" a one-hot slot).
// Usage: node run_onnx.js ORT_NODE_MODULES MODEL.onnx IMAGES-idx3-ubyte [BATCH [CHANNELS]]
//        node run_onnx.js ORT_NODE_MODULES MODEL.onnx ROWS.csv
//   BATCH: images per run (default all at once; a model exported with a fixed batch needs it).
//   CHANNELS: 3 gives the model each grey image in R, G and B.
const fs = require('fs');
const path = require('path');
const [modules, model, images, batchArgument, channelsArgument] = process.argv.slice(2);
const ort = require(path.resolve(modules, 'onnxruntime-node'));

function readIdx3(file) {
  const bytes = fs.readFileSync(file);
  if (bytes.readUInt32BE(0) !== 0x00000803) throw new Error(`${file}: not an IDX file of bytes, 3 dims`);
  const [count, height, width] = [4, 8, 12].map((at) => bytes.readUInt32BE(at));
  return {count, height, width, pixels: bytes.subarray(16, 16 + count * height * width)};
}

// The model's metadata_props (ModelProto field 14: entries of key = 1, value = 2), read from the
// protobuf bytes directly: the runtime's API does not expose them in every version.
function readMetadata(file) {
  const bytes = fs.readFileSync(file);
  const varint = (state) => {
    let value = 0, shift = 1;
    for (;;) {
      const byte = bytes[state.at++];
      value += (byte & 0x7f) * shift;
      if (byte < 0x80) return value;
      shift *= 128;
    }
  };
  const fields = (begin, end, visit) => {
    const state = {at: begin};
    while (state.at < end) {
      const tag = varint(state), number = Math.floor(tag / 8), type = tag % 8;
      if (type === 0) varint(state);
      else if (type === 1) state.at += 8;
      else if (type === 5) state.at += 4;
      else if (type === 2) {
        const length = varint(state);
        visit(number, state.at, state.at + length);
        state.at += length;
      } else throw new Error(`${file}: unexpected protobuf wire type ${type}`);
    }
  };
  const metadata = {};
  fields(0, bytes.length, (number, begin, end) => {
    if (number !== 14) return;
    const entry = {};
    fields(begin, end, (n, b, e) => { entry[n] = bytes.subarray(b, e).toString('utf8'); });
    metadata[entry[1]] = entry[2];
  });
  return metadata;
}

// A CSV file's rows (no quoted fields) encoded in the order of the model's feature names.
function encodeRows(file, features) {
  const [header, ...lines] = fs.readFileSync(file, 'utf8').trim().split(/\r?\n/);
  const columns = header.split(',');
  const rows = lines.map((line) => line.split(','));
  const x = new Float32Array(rows.length * features.length);
  rows.forEach((row, r) => features.forEach((feature, f) => {
    const [name, value] = feature.split('=');
    const field = row[columns.indexOf(name)];
    x[r * features.length + f] = value === undefined ? Number(field) : (field === value ? 1 : 0);
  }));
  return {count: rows.length, x};
}

function print(logits, n, first) {
  const classes = logits.length / n;
  for (let k = 0; k < n; k++) {
    const row = Array.from(logits.subarray(k * classes, (k + 1) * classes));
    const predicted = row.indexOf(Math.max(...row));
    console.log(JSON.stringify({image: first + k, class: predicted, logits: row}));
  }
}

(async () => {
  const session = await ort.InferenceSession.create(model);
  if (images.endsWith('.csv')) {
    const features = JSON.parse(readMetadata(model).features);
    const {count, x} = encodeRows(images, features);
    const out = await session.run({features: new ort.Tensor('float32', x, [count, features.length])});
    print(out.logits.data, count, 0);
    return;
  }
  const {count, height, width, pixels} = readIdx3(images);
  const batch = batchArgument ? Number(batchArgument) : count;
  const channels = channelsArgument ? Number(channelsArgument) : 1;
  const plane = height * width;
  for (let first = 0; first < count; first += batch) {
    const n = Math.min(batch, count - first);
    const x = new Float32Array(n * channels * plane);
    for (let k = 0; k < n; k++)
      for (let c = 0; c < channels; c++)
        for (let i = 0; i < plane; i++)
          x[(k * channels + c) * plane + i] = pixels[(first + k) * plane + i] / 255;
    const out = await session.run({pixels: new ort.Tensor('float32', x, [n, channels, height, width])});
    print(out.logits.data, n, first);
  }
})().catch((error) => {
  console.error(`run_onnx: ${error.message}`);
  process.exit(1);
});
