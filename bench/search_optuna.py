"""Optuna's TPESampler on the objectives of bench/search-objectives.ts, ported line for line.

Run by bench/search.ts in the bench's venv (.bench-venv, `pip install optuna`):
    python bench/search_optuna.py '{"budget": 100, "seeds": [1, 2], "concurrency": [1, 4]}'
Prints JSON: {objective name: {concurrency: [best-so-far regret after each trial, per seed]}}.
Trials run through ask/tell; with concurrency c, c trials are in flight and the oldest is told first
(the same schedule as the TypeScript side). A failed trial (None) is told as TrialState.FAIL.
"""
import json
import math
import sys

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)


def gauss(x, centre, width):
    return math.exp(-(((x - centre) / width) ** 2))


def danq_auc(p):
    lr = p["learningRate"]
    bs = p["batchSize"]
    scale = math.sqrt(bs / 64)
    if lr > 0.03 * scale:
        return None
    best_lr = (3e-3 if p["rnn"] == "lstm" else 8e-4) * scale
    q_lr = gauss(math.log10(lr), math.log10(best_lr), 0.5)
    q_drop = 1 - (p["convDropout"] - 0.25) ** 2
    q_batch = {32: 0.97, 64: 1, 128: 0.98, 256: 0.93}[bs]
    return 0.5 + 0.45 * q_lr * q_drop * q_batch + (0.01 if p["rnn"] == "lstm" else 0)


def branin(x1, x2):
    b = 5.1 / (4 * math.pi**2)
    c = 5 / math.pi
    t = 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


def branin_cat(p):
    x1, x2 = p["x1"], p["x2"]
    if p["kind"] == "a":
        return branin(x1, x2) + 0.5
    if p["kind"] == "b":
        return branin(x1 - 2, x2)
    return branin(x2 - 5, x1 + 5) + 1.5


def conv_integer_score(kernel, pool):
    return gauss(kernel, 19, 10) * gauss(pool, kernel / 2, 3)


DENSE_QUALITY = {0: 0.9, 32: 0.95, 64: 1, 128: 0.98, 256: 0.96}
BEST_CONV = max(conv_integer_score(k, p) for k in range(4, 41) for p in range(2, 21))


def conv_mix(p):
    best_lr = 1e-3 if p["optimizer"] == "adam" else 3e-4
    width = 0.6 if p["optimizer"] == "adam" else 0.3
    q_lr = gauss(math.log10(p["learningRate"]), math.log10(best_lr), width)
    return 0.5 + 0.4 * conv_integer_score(p["convKernel"], p["poolSize"]) * q_lr * DENSE_QUALITY[p["denseUnits"]]


# name, direction, space (as the spec's JSON), objective, optimum
OBJECTIVES = [
    ("danq-auc (rnn x logLR x batch x dropout)", "maximize",
     {"rnn": ["lstm", "gru"], "learningRate": {"logUniform": [1e-5, 0.1]}, "batchSize": [32, 64, 128, 256], "convDropout": {"uniform": [0, 0.6]}},
     danq_auc, 0.96),
    ("branin-cat (2 floats x categorical)", "minimize",
     {"x1": {"uniform": [-5, 10]}, "x2": {"uniform": [0, 15]}, "kind": ["a", "b", "c"]},
     branin_cat, 10 / (8 * math.pi)),
    ("conv-mix (2 ints x dense x optimizer x logLR)", "maximize",
     {"convKernel": {"int": [4, 40]}, "poolSize": {"int": [2, 20]}, "denseUnits": [0, 32, 64, 128, 256],
      "optimizer": ["adam", "rmsprop"], "learningRate": {"logUniform": [1e-4, 0.1]}},
     conv_mix, 0.5 + 0.4 * BEST_CONV),
]


def suggest(trial, space):
    params = {}
    for name, value in space.items():
        if isinstance(value, list):
            params[name] = trial.suggest_categorical(name, value)
        elif "int" in value:
            params[name] = trial.suggest_int(name, *value["int"])
        elif "logUniform" in value:
            params[name] = trial.suggest_float(name, *value["logUniform"], log=True)
        else:
            params[name] = trial.suggest_float(name, *value["uniform"])
    return params


def run(direction, space, objective, optimum, budget, seed, concurrency):
    study = optuna.create_study(direction=direction, sampler=optuna.samplers.TPESampler(seed=seed))
    in_flight = []
    asked = 0
    best = None
    curve = []
    while len(curve) < budget:
        while asked < budget and len(in_flight) < concurrency:
            trial = study.ask()
            in_flight.append((trial, objective(suggest(trial, space))))
            asked += 1
        trial, value = in_flight.pop(0)
        if value is None:
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
        else:
            study.tell(trial, value)
            if best is None or (value > best if direction == "maximize" else value < best):
                best = value
        curve.append(None if best is None else abs(optimum - best))
    return curve


def main():
    args = json.loads(sys.argv[1])
    out = {}
    for name, direction, space, objective, optimum in OBJECTIVES:
        out[name] = {str(c): [run(direction, space, objective, optimum, args["budget"], seed, c) for seed in args["seeds"]] for c in args["concurrency"]}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
