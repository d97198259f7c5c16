"""PyTorch CPU reference for bench/train-throughput.ts: the same DanQ variant and batch.

Reads a JSON object on argv[1]: {"variant": VariantConfig, "threads": int, "warmup": int,
"batches": int, "repeats": int}; prints one JSON line {"samplesPerSec": best of the repeats,
"peakRssMb", "note": torch version}.
Same architecture and loss as the TypeScript fast path; PyTorch's GRU is reset-after (cuDNN
style), which differs slightly from tfjs-layers' reset-before GRU in cost and math.
"""
import json
import resource
import sys
import time

import torch
from torch import nn


class DanQ(nn.Module):
    def __init__(self, v):
        super().__init__()
        self.v = v
        self.conv = nn.Conv1d(4, v["convFilters"], v["convKernel"], stride=v["convStride"])
        self.pool = nn.MaxPool1d(v["poolSize"], stride=v["poolStride"])
        self.conv_dropout = nn.Dropout(v["convDropout"])
        rnn = nn.LSTM if v["rnn"] == "lstm" else nn.GRU
        self.rnn = rnn(v["convFilters"], v["rnnUnits"], batch_first=True, bidirectional=True)
        self.rnn_dropout = nn.Dropout(v["rnnDropout"])
        conv_length = (v["seqLen"] - v["convKernel"]) // v["convStride"] + 1
        steps = (conv_length - v["poolSize"]) // v["poolStride"] + 1
        merged = 2 * v["rnnUnits"] if v["rnnMerge"] == "concat" else v["rnnUnits"]
        features = steps * merged if v["returnSequences"] else merged
        layers = []
        if v["denseUnits"] > 0:
            layers += [nn.Linear(features, v["denseUnits"]), nn.ReLU()]
            features = v["denseUnits"]
        layers.append(nn.Linear(features, v["tasks"]))
        self.head = nn.Sequential(*layers)

    def forward(self, x):  # x: (batch, seqLen, 4)
        v = self.v
        h = self.conv_dropout(self.pool(torch.relu(self.conv(x.transpose(1, 2)))))
        out, _ = self.rnn(h.transpose(1, 2))  # (batch, steps, 2u)
        u = v["rnnUnits"]
        forward, backward = out[..., :u], out[..., u:]
        if not v["returnSequences"]:
            forward, backward = forward[:, -1], backward[:, 0]
        merge = v["rnnMerge"]
        if merge == "concat":
            h = torch.cat([forward, backward], -1)
        elif merge == "sum":
            h = forward + backward
        elif merge == "mul":
            h = forward * backward
        else:
            h = (forward + backward) / 2
        return self.head(self.rnn_dropout(h).flatten(1))


def main():
    args = json.loads(sys.argv[1])
    v = args["variant"]
    torch.set_num_threads(args["threads"])
    torch.manual_seed(v["seed"])
    model = DanQ(v)
    lr = v["learningRate"]
    optimizer = (
        torch.optim.Adam(model.parameters(), lr=lr, eps=1e-7)
        if v["optimizer"] == "adam"
        else torch.optim.RMSprop(model.parameters(), lr=lr, alpha=0.9, eps=1e-7)
    )
    batch = v["batchSize"]
    bases = torch.randint(0, 4, (batch, v["seqLen"]))
    x = torch.nn.functional.one_hot(bases, 4).float()
    if v["outputActivation"] == "sigmoid":
        y = torch.randint(0, 2, (batch, v["tasks"])).float()
        loss_fn = nn.BCEWithLogitsLoss()
    else:
        y = torch.randint(0, v["tasks"], (batch,))
        loss_fn = nn.CrossEntropyLoss()
    model.train()

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()

    for _ in range(args["warmup"]):
        step()
    best = 0.0
    for _ in range(args["repeats"]):
        start = time.perf_counter()
        for _ in range(args["batches"]):
            step()
        best = max(best, args["batches"] * batch / (time.perf_counter() - start))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"samplesPerSec": best, "peakRssMb": peak, "note": f"torch {torch.__version__}"}))


if __name__ == "__main__":
    main()
