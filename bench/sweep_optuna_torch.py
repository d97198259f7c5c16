"""The Optuna 5 + PyTorch 2 side of bench/sweep-vs-optuna.ts (`npm run bench:sweep`).

One worker of a sweep that several processes share through one Optuna journal file
(JournalStorage + JournalFileBackend): argv[1] is a JSON object {"variant": the base
VariantConfig, "space": {field: [choices]}, "train", "valid": TSV files (id, sequence, one 0/1
column), "journal": file, "trials": trials for this worker, "seed"}; argv[2] the worker's index.
Each trial trains bench/train_throughput_torch.py's DanQ with the trial's params for
variant["epochs"] epochs (Adam, binary cross-entropy, shuffled batches) with one torch thread and
reports the last epoch's validation ROC AUC. Venv: .bench-venv with torch and optuna.
"""
import json
import os
import sys

import optuna
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_throughput_torch import DanQ  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.WARNING)
torch.set_num_threads(1)

CODES = {"A": 0, "C": 1, "G": 2, "T": 3}


def read_tsv(path):
    with open(path) as f:
        next(f)
        rows = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    seq_len = len(rows[0][1])
    x = torch.zeros(len(rows), seq_len, 4)
    for i, (_, sequence, _) in enumerate(rows):
        for j, base in enumerate(sequence):
            code = CODES.get(base)
            if code is not None:
                x[i, j, code] = 1
    y = torch.tensor([[float(r[2])] for r in rows])
    return x, y


def roc_auc(scores, labels):
    order = torch.argsort(scores)
    ranks = torch.empty_like(scores)
    ranks[order] = torch.arange(1, len(scores) + 1, dtype=scores.dtype)
    positives = labels.sum()
    negatives = len(labels) - positives
    return float((ranks[labels == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def main():
    config = json.loads(sys.argv[1])
    worker = int(sys.argv[2])
    train_x, train_y = read_tsv(config["train"])
    valid_x, valid_y = read_tsv(config["valid"])
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(config["journal"]))
    study = optuna.create_study(
        study_name="bench-sweep",
        storage=storage,
        direction="maximize",
        sampler=optuna.samplers.RandomSampler(seed=config["seed"] + worker),
        load_if_exists=True,
    )

    def objective(trial):
        v = dict(config["variant"])
        for name, choices in config["space"].items():
            v[name] = trial.suggest_categorical(name, choices)
        torch.manual_seed(config["seed"] * 1000 + trial.number)
        model = DanQ(v)
        optimizer = torch.optim.Adam(model.parameters(), lr=v["learningRate"])
        loss_fn = nn.BCEWithLogitsLoss()
        auc = 0.0
        for _ in range(v["epochs"]):
            model.train()
            order = torch.randperm(len(train_x))
            for start in range(0, len(order), v["batchSize"]):
                batch = order[start : start + v["batchSize"]]
                optimizer.zero_grad()
                loss = loss_fn(model(train_x[batch]), train_y[batch])
                loss.backward()
                optimizer.step()
            model.eval()
            with torch.no_grad():
                scores = torch.cat([model(valid_x[s : s + 256]) for s in range(0, len(valid_x), 256)])[:, 0]
            auc = roc_auc(scores, valid_y[:, 0])
        return auc

    study.optimize(objective, n_trials=config["trials"])


if __name__ == "__main__":
    main()
