"""Keras 3 / TensorFlow CPU reference for bench/train-throughput.ts: the same DanQ variant and batch.

Reads a JSON object on argv[1] like train_throughput_torch.py; prints one JSON line
{"samplesPerSec", "peakRssMb", "note"}. The model is the Keras twin of src/model/layers.ts
(GRU reset_after=False, as tfjs-layers), trained with train_on_batch (a compiled tf.function).
"""
import json
import os
import resource
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402


def build(v):
    layers = [
        keras.Input((v["seqLen"], 4)),
        keras.layers.Conv1D(v["convFilters"], v["convKernel"], strides=v["convStride"], activation="relu"),
        keras.layers.MaxPooling1D(v["poolSize"], strides=v["poolStride"]),
        keras.layers.Dropout(v["convDropout"]),
    ]
    cell = (
        keras.layers.LSTM(v["rnnUnits"], return_sequences=v["returnSequences"])
        if v["rnn"] == "lstm"
        else keras.layers.GRU(v["rnnUnits"], return_sequences=v["returnSequences"], reset_after=False)
    )
    layers += [keras.layers.Bidirectional(cell, merge_mode=v["rnnMerge"]), keras.layers.Dropout(v["rnnDropout"])]
    if v["returnSequences"]:
        layers.append(keras.layers.Flatten())
    if v["denseUnits"] > 0:
        layers.append(keras.layers.Dense(v["denseUnits"], activation="relu"))
    layers.append(keras.layers.Dense(v["tasks"], activation=v["outputActivation"]))
    return keras.Sequential(layers)


def compiled_model(v):
    """The model compiled with the variant's optimizer and loss, and one random batch."""
    keras.utils.set_random_seed(v["seed"])
    model = build(v)
    lr = v["learningRate"]
    optimizer = keras.optimizers.Adam(lr) if v["optimizer"] == "adam" else keras.optimizers.RMSprop(lr)
    model.compile(optimizer=optimizer, loss="binary_crossentropy" if v["outputActivation"] == "sigmoid" else "categorical_crossentropy")
    rng = np.random.default_rng(3)
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (v["batchSize"], v["seqLen"]))]
    y = rng.integers(0, 2, (v["batchSize"], v["tasks"])).astype(np.float32)
    return model, x, y


def main(args):
    tf.config.threading.set_intra_op_parallelism_threads(args["threads"])
    tf.config.threading.set_inter_op_parallelism_threads(1)
    v = args["variant"]
    model, x, y = compiled_model(v)
    batch = v["batchSize"]
    for _ in range(args["warmup"]):
        model.train_on_batch(x, y)
    best = 0.0
    for _ in range(args["repeats"]):
        start = time.perf_counter()
        for _ in range(args["batches"]):
            model.train_on_batch(x, y)
        best = max(best, args["batches"] * batch / (time.perf_counter() - start))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"samplesPerSec": best, "peakRssMb": peak, "note": f"keras {keras.__version__}, tensorflow {tf.__version__}"}))


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
