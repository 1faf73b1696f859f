// gradlab's public API in one include: #include <gradlab/gradlab.h>, with find_package(gradlab)
// (CMake: target gradlab::gradlab) or pkg-config gradlab. Each header below is also installed on
// its own, under the same path: #include <gradlab/framework/layers/conv2d.h>.
// examples/train_mlp/ is a program written against it.
#pragma once

#include "gradlab/version.h"

// Tensors, modules and their containers (framework/module.h states the forward/backward contract).
#include "framework/concat.h"
#include "framework/gradcheck.h"
#include "framework/init.h"
#include "framework/module.h"
#include "framework/random.h"
#include "framework/residual.h"
#include "framework/sequential.h"
#include "framework/tensor.h"

// Layers (each also registered by name for the model builder: framework/layers/registry.h).
#include "framework/layers/avgpool2d.h"
#include "framework/layers/batchnorm.h"
#include "framework/layers/conv2d.h"
#include "framework/layers/dropout.h"
#include "framework/layers/flatten.h"
#include "framework/layers/gelu.h"
#include "framework/layers/global_avgpool2d.h"
#include "framework/layers/leaky_relu.h"
#include "framework/layers/linear.h"
#include "framework/layers/maxpool2d.h"
#include "framework/layers/registry.h"
#include "framework/layers/relu.h"
#include "framework/layers/sigmoid.h"
#include "framework/layers/tanh.h"

// Losses.
#include "framework/losses/focal_loss.h"
#include "framework/losses/mse.h"
#include "framework/losses/registry.h"
#include "framework/losses/softmax_cross_entropy.h"

// Optimizers, learning-rate schedules, the weight average.
#include "framework/optim/adam.h"
#include "framework/optim/registry.h"
#include "framework/optim/schedule.h"
#include "framework/optim/sgd.h"
#include "framework/optim/weight_ema.h"

// Models from JSON descriptions, and ONNX export.
#include "models/builder.h"
#include "models/mlp.h"
#include "models/onnx_export.h"

// Data: IDX files (MNIST), the named data sets, mini-batches.
#include "datasets/idx.h"
#include "datasets/image_dataset.h"
#include "datasets/loader.h"
#include "datasets/registry.h"

// Checkpoints (what gradlab eval, predict and export read) and evaluation.
#include "train/checkpoint.h"
#include "train/evaluation.h"
