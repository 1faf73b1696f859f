#!/usr/bin/python3
"""Trains a gradlab experiment config in PyTorch, the same recipe as `gradlab train` runs it.

Usage: pytorch_recipe.py CONFIG.json [--set KEY=VALUE ...] [--out METRICS.jsonl]
                         [--precision f32|bf16] [--split RUN_DIR/split.json]

The same data (MNIST or Fashion-MNIST IDX files, normalisation, validation fraction, augmentation
by turns, scaling, shifts and mirrors), model (the config's layer list, residual blocks and concatenations
included, with gradlab's initialisers, PyTorch's own by default as gradlab's), loss (label
smoothing, class weights), optimizer (sgd, adam, adamw), schedule (linear warm-up then constant,
step or cosine, set every step as gradlab does; one_cycle as PyTorch's OneCycleLR, which
gradlab's follows), weight average (config "ema": the same recurrence, weights and float
buffers, framework/optim/weight_ema.h), test-time views (config eval.tta: logits averaged over
the image, its mirror and one-pixel shifts filled with black) and batch size. What differs is
only what cannot be shared: the random streams (weights, order and shifts are drawn by
PyTorch's generator from the same seed, so they are other draws of the same distributions), and
the validation split unless --split gives a gradlab run's split.json, whose training and
validation images are then used as they are. One line of JSON per epoch, in the form of
gradlab's metrics.jsonl (with ema_val_* when averaging), then the test accuracy of the last
epoch: of the average when there is one, with the views when there are any (and the plain
figures beside them).

Made fair as the benchmarks are: two threads, flush-to-zero.

--precision bf16 trains under PyTorch's CPU autocast (the one line PyTorch users add:
`torch.autocast("cpu", dtype=torch.bfloat16)` around the forward pass and the loss), so that
gradlab's precisions can be set beside PyTorch's on the same machine. Weights, gradients and the
optimizer stay float32, as autocast leaves them; evaluation runs under autocast too.
"""
import argparse
import contextlib
import copy
import gzip
import json
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

STATISTICS = {"mnist": (0.1307, 0.3081), "fashion_mnist": (0.2860, 0.3530)}
FOLDERS = {"mnist": "data/mnist", "fashion_mnist": "/usr/share/datasets/fashion-mnist"}
MIRROR_KEEPS_CLASS = {"mnist": False, "fashion_mnist": True, "idx": False}


def read_idx(folder, name):
    path = os.path.join(folder, name)
    opener = open
    if not os.path.exists(path) and os.path.exists(path + ".gz"):
        path, opener = path + ".gz", gzip.open
    with opener(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return torch.frombuffer(bytearray(data[4 + 4 * dims:]), dtype=torch.uint8).reshape(shape)


def set_key(config, assignment):
    """gradlab's --set: a.b[2].c=value, the value parsed as JSON if it can be."""
    path, text = assignment.split("=", 1)
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = text
    keys = []
    for part in path.split("."):
        name, *indices = part.replace("]", "").split("[")
        keys += ([name] if name else []) + [int(i) for i in indices]
    node = config
    for key in keys[:-1]:
        node = node.setdefault(key, {}) if isinstance(key, str) else node[key]  # as gradlab: made
    node[keys[-1]] = value


class Residual(nn.Module):
    def __init__(self, body, shortcut):
        super().__init__()
        self.body, self.shortcut = body, shortcut

    def forward(self, x):
        return self.body(x) + (self.shortcut(x) if self.shortcut is not None else x)


class Concat(nn.Module):
    def __init__(self, branches):
        super().__init__()
        self.branches = nn.ModuleList(branches)

    def forward(self, x):
        return torch.cat([branch(x) for branch in self.branches], dim=1)


def initialise(module, init):
    """gradlab's initialisers (framework/init.h); "pytorch" keeps PyTorch's own."""
    if init == "pytorch":
        return
    {"kaiming_uniform": lambda w: nn.init.kaiming_uniform_(w, nonlinearity="relu"),
     "kaiming_normal": lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu"),
     "xavier_uniform": nn.init.xavier_uniform_,
     "xavier_normal": nn.init.xavier_normal_}[init](module.weight)
    if module.bias is not None:
        nn.init.zeros_(module.bias)


def named_layers(spec, classes):
    if spec["name"] == "mlp":
        layers = [{"type": "flatten"}]
        for size in spec.get("hidden", [256, 128]):
            layers += [{"type": "linear", "out_features": size}, {"type": "relu"}]
        return layers + [{"type": "linear", "out_features": classes}]
    conv = lambda c: {"type": "conv2d", "out_channels": c, "kernel_size": 5, "padding": 2}
    return [conv(16), {"type": "relu"}, {"type": "maxpool2d", "kernel_size": 2}, conv(32),
            {"type": "relu"}, {"type": "maxpool2d", "kernel_size": 2}, {"type": "flatten"},
            {"type": "linear", "out_features": 128}, {"type": "relu"},
            {"type": "linear", "out_features": classes}]


def build(layers, shape, init="pytorch"):
    """An nn.Sequential of a gradlab layer list for input `shape` (N, C, ...); its output shape.
    init: the model's, for layers that name none."""
    modules = []
    for layer in layers:
        kind = layer["type"]
        if kind == "residual":
            body, out = build(layer["body"], shape, init)
            shortcut = build(layer["shortcut"], shape, init)[0] if "shortcut" in layer else None
            module = Residual(body, shortcut)
        elif kind == "concat":
            branches = [build(branch, shape, init) for branch in layer["branches"]]
            module = Concat([b for b, _ in branches])
            out = list(branches[0][1])
            out[1] = sum(s[1] for _, s in branches)
        elif kind == "conv2d":
            k, s, p = layer["kernel_size"], layer.get("stride", 1), layer.get("padding", 0)
            module = nn.Conv2d(shape[1], layer["out_channels"], k, s, p, bias=layer.get("bias", True))
            initialise(module, layer.get("init", init))
            out = [shape[0], layer["out_channels"], (shape[2] + 2 * p - k) // s + 1,
                   (shape[3] + 2 * p - k) // s + 1]
        elif kind == "linear":
            module = nn.Linear(shape[1], layer["out_features"], bias=layer.get("bias", True))
            initialise(module, layer.get("init", init))
            out = [shape[0], layer["out_features"]]
        elif kind in ("batchnorm1d", "batchnorm2d"):
            norm = nn.BatchNorm2d if kind == "batchnorm2d" else nn.BatchNorm1d
            module = norm(shape[1], eps=layer.get("eps", 1e-5), momentum=layer.get("momentum", 0.1),
                          affine=layer.get("affine", True))
            out = shape
        elif kind in ("maxpool2d", "avgpool2d"):
            k, p = layer["kernel_size"], layer.get("padding", 0)
            s = layer.get("stride", k)
            module = nn.MaxPool2d(k, s) if kind == "maxpool2d" else nn.AvgPool2d(k, s, p)
            out = [shape[0], shape[1], (shape[2] + 2 * p - k) // s + 1, (shape[3] + 2 * p - k) // s + 1]
        elif kind == "global_avgpool2d":
            module, out = nn.AdaptiveAvgPool2d(1), [shape[0], shape[1], 1, 1]
        elif kind == "flatten":
            module, out = nn.Flatten(), [shape[0], math.prod(shape[1:])]
        else:
            module = {"relu": lambda: nn.ReLU(),
                      "leaky_relu": lambda: nn.LeakyReLU(layer.get("negative_slope", 0.01)),
                      "gelu": lambda: nn.GELU(approximate=layer.get("approximate", "none")),
                      "sigmoid": lambda: nn.Sigmoid(), "tanh": lambda: nn.Tanh(),
                      "dropout": lambda: nn.Dropout(layer.get("p", 0.5))}[kind]()
            out = shape
        modules.append(module)
        shape = out
    return nn.Sequential(*modules), shape


def factor(step, schedule, steps_per_epoch, total_steps, base_lr):
    """gradlab's schedules (framework/optim/schedule.h), warm-up included."""
    warmup = round(schedule.get("warmup_epochs", 0) * steps_per_epoch)
    if step < warmup:
        return (step + 1) / warmup
    step -= warmup
    kind = schedule.get("type", "constant")
    if kind == "step":
        return schedule.get("gamma", 0.1) ** (step // max(1, round(schedule["step_epochs"] * steps_per_epoch)))
    if kind == "cosine":
        T, f_min = total_steps - warmup, schedule.get("min_lr", 0.0) / base_lr
        return f_min + (1 - f_min) * 0.5 * (1 + math.cos(math.pi * min(step, T) / T))
    return 1.0


def augment(images, translate, flip, rotate, scale, generator, erase=0.0):
    """Turns by U(-D, D) degrees and scales by U(a, b) about the centre (bilinear, zero fill,
    rounded to whole pixel values), shifts by (dy, dx) in {-P..P}² with zero fill, mirrors
    half the time, then erases a rectangle with probability `erase` (torchvision's
    RandomErasing, value 0), per image: datasets/augmentation.h."""
    if rotate or scale != [1, 1]:
        n = images.shape[0]
        angle = (torch.rand(n, generator=generator) * 2 - 1) * rotate * math.pi / 180
        factor = scale[0] + (scale[1] - scale[0]) * torch.rand(n, generator=generator)
        cos, sin, zero = torch.cos(angle) / factor, torch.sin(angle) / factor, torch.zeros(n)
        # Output to input coordinates, normalised so the centre is 0 (align_corners=False puts
        # it at (W - 1)/2 in pixels, as gradlab); square images, so one scale for both axes.
        theta = torch.stack([torch.stack([cos, sin, zero], 1), torch.stack([-sin, cos, zero], 1)], 1)
        grid = F.affine_grid(theta, list(images.shape), align_corners=False)
        images = F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros",
                               align_corners=False).round().clamp(max=255)
    if translate:
        n, _, h, w = images.shape
        padded = F.pad(images, (translate,) * 4)
        offsets = torch.randint(0, 2 * translate + 1, (n, 2), generator=generator)
        images = torch.stack([padded[i, :, y:y + h, x:x + w] for i, (y, x) in enumerate(offsets.tolist())])
    if flip:
        mirror = torch.rand(images.shape[0], generator=generator) < 0.5
        images = torch.where(mirror[:, None, None, None], images.flip(3), images)
    if erase:  # torchvision's RandomErasing(p, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0)
        n, _, h, w = images.shape
        images = images.clone()
        uniform = lambda a, b: a + (b - a) * torch.rand(1, generator=generator).item()
        for i in range(n):
            if uniform(0, 1) >= erase:
                continue
            for _ in range(10):
                target, ratio = h * w * uniform(0.02, 0.33), math.exp(uniform(math.log(0.3), math.log(3.3)))
                eh, ew = round(math.sqrt(target * ratio)), round(math.sqrt(target / ratio))
                if 0 < eh < h and 0 < ew < w:
                    top = torch.randint(0, h - eh + 1, (1,), generator=generator).item()
                    left = torch.randint(0, w - ew + 1, (1,), generator=generator).item()
                    images[i, :, top:top + eh, left:left + ew] = 0
                    break
    return images


def view(images, name, black):
    """A test-time view (datasets/test_time_augmentation.h) of normalised images (N, C, H, W)."""
    if name == "mirror":
        return images.flip(3)
    dy, dx = {"shift_left": (0, -1), "shift_right": (0, 1), "shift_up": (-1, 0), "shift_down": (1, 0)}[name]
    out = torch.full_like(images, black)
    h, w = images.shape[2], images.shape[3]
    out[:, :, max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        images[:, :, max(-dy, 0):h - max(dy, 0), max(-dx, 0):w - max(dx, 0)]
    return out


class WeightAverage:
    """gradlab's weight EMA: d_t = min(decay, t / (warmup - 1 + t)), over the parameters and the
    floating-point buffers (BatchNorm's running statistics), starting at the initial weights."""

    def __init__(self, model, decay, warmup):
        self.model, self.decay, self.warmup, self.updates = model, decay, warmup, 0
        self.average = [t.detach().clone() for t in self.tensors(model)]

    @staticmethod
    def tensors(model):
        return list(model.parameters()) + [b for b in model.buffers() if b.is_floating_point()]

    def update(self):
        self.updates += 1
        d = min(self.decay, self.updates / (self.warmup - 1 + self.updates))
        with torch.no_grad():
            for average, live in zip(self.average, self.tensors(self.model)):
                average.mul_(d).add_(live.detach(), alpha=1 - d)

    def averaged_model(self):
        averaged = copy.deepcopy(self.model)
        with torch.no_grad():
            for into, average in zip(self.tensors(averaged), self.average):
                into.copy_(average)
        return averaged


def evaluate(model, loss_fn, images, labels, batch, autocast, views=(), black=0.0):
    model.eval()
    total, correct = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(labels), batch):
            with autocast():
                logits = model(images[i:i + batch]).float()
                for name in views:
                    logits = logits + model(view(images[i:i + batch], name, black)).float()
                logits = logits / (1 + len(views))
            total += loss_fn(logits, labels[i:i + batch]).item() * len(labels[i:i + batch])
            correct += (logits.argmax(1) == labels[i:i + batch]).sum().item()
    model.train()
    return total / len(labels), correct / len(labels)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("config")
    parser.add_argument("--set", action="append", default=[], dest="overrides")
    parser.add_argument("--out")
    parser.add_argument("--precision", choices=["f32", "bf16"], default="f32")
    parser.add_argument("--split", help="a gradlab run's split.json: train and validate on its images")
    args = parser.parse_args()
    if args.precision == "bf16":
        autocast = lambda: torch.autocast("cpu", dtype=torch.bfloat16)
    else:
        autocast = contextlib.nullcontext
    with open(args.config) as f:
        config = json.load(f)
    for assignment in args.overrides:
        set_key(config, assignment)
    torch.set_num_threads(2)
    torch.set_flush_denormal(True)
    seed = config.get("seed", 42)
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed + 1)

    data = config["data"]
    name = data["dataset"]
    folder = data.get("folder", FOLDERS.get(name))
    normalize = data.get("normalize", {"mean": 0.0, "std": 1.0})
    mean, std = STATISTICS[name] if normalize == "dataset" else (normalize["mean"], normalize["std"])
    scale = lambda pixels: (pixels.float() / 255 - mean) / std
    train_pixels, train_labels = read_idx(folder, "train-images-idx3-ubyte"), read_idx(folder, "train-labels-idx1-ubyte").long()
    if data.get("limit", 0):
        train_pixels, train_labels = train_pixels[:data["limit"]], train_labels[:data["limit"]]
    if args.split:
        with open(args.split) as f:
            split = json.load(f)
        if split["dataset"] != name or split["validation_from"] != "train":
            sys.exit(f"{args.split}: a split of {split['dataset']} (validation from "
                     f"{split['validation_from']}), not of {name}'s training file")
        train_index, val_index = torch.tensor(split["train"]), torch.tensor(split["validation"])
        if len(train_index) + len(val_index) and max(split["train"] + split["validation"]) >= len(train_labels):
            sys.exit(f"{args.split}: indices past the {len(train_labels)} training images")
    else:
        order = torch.randperm(len(train_labels), generator=generator)
        held_out = round(data.get("validation_split", 0.1) * len(train_labels))
        val_index, train_index = order[:held_out], order[held_out:]
    train_x, train_y = train_pixels[train_index].unsqueeze(1), train_labels[train_index]
    val_x, val_y = scale(train_pixels[val_index].unsqueeze(1)), train_labels[val_index]
    test_x = scale(read_idx(folder, "t10k-images-idx3-ubyte").unsqueeze(1))
    test_y = read_idx(folder, "t10k-labels-idx1-ubyte").long()
    augmentation = data.get("augment", {})
    translate = augmentation.get("translate", 0)
    rotate, scale_range = augmentation.get("rotate", 0), augmentation.get("scale", [1, 1])
    flip = augmentation.get("horizontal_flip", MIRROR_KEEPS_CLASS[name]) if augmentation else False
    erase = augmentation.get("erase", 0.0)

    spec = config["model"]
    layers = named_layers(spec, 10) if "name" in spec else spec["layers"]
    model, _ = build(layers, [1] + list(train_x.shape[1:]), spec.get("init", "pytorch"))
    loss_spec = config.get("loss", {})
    weights = loss_spec.get("class_weights")
    loss_fn = nn.CrossEntropyLoss(weight=torch.tensor(weights) if isinstance(weights, list) else None,
                                  label_smoothing=loss_spec.get("label_smoothing", 0.0))
    opt = config["optimizer"]
    lr = opt["lr"]
    if opt["type"] == "sgd":
        optimizer = torch.optim.SGD(model.parameters(), lr, momentum=opt.get("momentum", 0.0),
                                    nesterov=opt.get("nesterov", False), weight_decay=opt.get("weight_decay", 0.0))
    else:
        kind = torch.optim.AdamW if opt["type"] == "adamw" else torch.optim.Adam
        optimizer = kind(model.parameters(), lr, betas=(opt.get("beta1", 0.9), opt.get("beta2", 0.999)),
                         eps=opt.get("eps", 1e-8), weight_decay=opt.get("weight_decay", 0.01 if opt["type"] == "adamw" else 0.0))
    batch, epochs = config.get("batch_size", 64), config.get("epochs", 1)
    steps_per_epoch = math.ceil(len(train_y) / batch)
    schedule = config.get("schedule", {"type": "constant"})
    if schedule["type"] == "one_cycle":
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, lr, total_steps=steps_per_epoch * epochs, pct_start=schedule.get("pct_start", 0.3),
            div_factor=schedule.get("div_factor", 25.0), final_div_factor=schedule.get("final_div_factor", 1e4),
            cycle_momentum=schedule.get("cycle_momentum", True),
            base_momentum=schedule.get("base_momentum", 0.85), max_momentum=schedule.get("max_momentum", 0.95))
    else:
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda t: factor(t, schedule, steps_per_epoch, steps_per_epoch * epochs, lr))
    ema = config.get("ema")
    average = WeightAverage(model, ema.get("decay", 0.999), ema.get("warmup", 10)) if ema is not None else None
    views = config.get("eval", {}).get("tta", [])
    black = -mean / std

    out = open(args.out, "w") if args.out else None
    step = 0
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        permutation = torch.randperm(len(train_y), generator=generator)
        total, correct = 0.0, 0
        for i in range(0, len(train_y), batch):
            index = permutation[i:i + batch]
            augmented = translate or flip or rotate or scale_range != [1, 1] or erase
            x = scale(augment(train_x[index].float(), translate, flip, rotate, scale_range, generator, erase)) \
                if augmented else scale(train_x[index])
            y = train_y[index]
            with autocast():
                logits = model(x)
                loss = loss_fn(logits, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if average:
                average.update()
            scheduler.step()
            step += 1
            total += loss.item() * len(y)
            correct += (logits.argmax(1) == y).sum().item()
        seconds = time.perf_counter() - start
        line = {"epoch": epoch, "step": step, "lr": scheduler.get_last_lr()[0],
                "train_loss": total / len(train_y), "train_accuracy": correct / len(train_y),
                "seconds": seconds, "images_per_second": len(train_y) / seconds}
        if len(val_y):
            line["val_loss"], line["val_accuracy"] = evaluate(model, loss_fn, val_x, val_y, batch, autocast)
            if average:
                line["ema_val_loss"], line["ema_val_accuracy"] = evaluate(
                    average.averaged_model(), loss_fn, val_x, val_y, batch, autocast)
        print(json.dumps(line), flush=True)
        if out:
            out.write(json.dumps(line) + "\n")
    delivered = average.averaged_model() if average else model
    test_loss, test_accuracy = evaluate(delivered, loss_fn, test_x, test_y, batch, autocast, views, black)
    final = {"test_loss": test_loss, "test_accuracy": test_accuracy, "torch": torch.__version__,
             "precision": args.precision, "weights": "ema" if average else "trained", "tta": views}
    if views:
        final["without_tta"] = evaluate(delivered, loss_fn, test_x, test_y, batch, autocast)[1]
    if average:
        final["trained_weights"] = evaluate(model, loss_fn, test_x, test_y, batch, autocast, views, black)[1]
    print(json.dumps(final))
    if out:
        out.write(json.dumps(final) + "\n")


if __name__ == "__main__":
    sys.exit(main())
