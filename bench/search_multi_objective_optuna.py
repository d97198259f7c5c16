"""Optuna 5's multi-objective TPE on the problems of bench/search-multi-objective.ts, and Optuna's
hypervolume of both samplers' trials.

Run by bench/search-multi-objective.ts in the bench's venv (.bench-venv, `pip install optuna`):
    python bench/search_multi_objective_optuna.py INPUT.json
INPUT.json: {"budgets": [30, 60, 100], "seeds": [1, ...], "problems": [{"name", "kind" ("zdt1",
"zdt2", "dtlz2" or "table"), "space" (the spec's JSON), "directions", "reference", "table"
(kind "table": rows {"params", "valAuc", "paramCount"}), "maxParamCount"}], "ours": {name: {sampler:
[[a trial's objective values, or null when it failed, in report order] per seed]}}}.
Each seed runs TPESampler(seed=seed) with its defaults on a study with the problem's directions
(for several objectives Optuna 5 defaults to independent, univariate TPE), and once more with
multivariate=True, one trial at a time through ask/tell; a failed trial is told as TrialState.FAIL. Hypervolumes use
optuna._hypervolume.compute_hypervolume on the problem's losses (lossesOf below) with its fixed
reference point; points not strictly better than the reference in every loss add nothing.
Prints JSON: {name: {"optuna": {"tpe" | "tpe multivariate": [[hv per budget] per seed]}, "ours": {sampler: [[hv per budget] per seed]}}}.
"""
import json
import math
import sys

import numpy as np
import optuna
from optuna._hypervolume import compute_hypervolume

optuna.logging.set_verbosity(optuna.logging.ERROR)


def zdt_g(x):
    return 1 + 9 * sum(x[1:]) / (len(x) - 1)


def zdt1(x):
    g = zdt_g(x)
    return [x[0], g * (1 - math.sqrt(x[0] / g))]


def zdt2(x):
    g = zdt_g(x)
    return [x[0], g * (1 - (x[0] / g) ** 2)]


def dtlz2(x):
    g = sum((xi - 0.5) ** 2 for xi in x[1:])
    return [(1 + g) * math.cos(x[0] * math.pi / 2), (1 + g) * math.sin(x[0] * math.pi / 2)]


FUNCTIONS = {"zdt1": zdt1, "zdt2": zdt2, "dtlz2": dtlz2}


def evaluator(problem):
    if problem["kind"] == "table":
        keys = sorted(problem["space"])
        rows = {tuple(row["params"][k] for k in keys): row for row in problem["table"]}

        def lookup(params):
            row = rows[tuple(params[k] for k in keys)]
            return None if row["valAuc"] is None else [row["valAuc"], row["paramCount"]]

        return lookup
    f = FUNCTIONS[problem["kind"]]
    return lambda params: f([params[k] for k in problem["space"]])


def losses_of(problem, values):
    if problem["kind"] == "table":
        return [1 - values[0], values[1] / problem["maxParamCount"]]
    return values


def suggest(trial, space):
    params = {}
    for name, value in space.items():
        if isinstance(value, list):
            params[name] = trial.suggest_categorical(name, value)
        else:
            params[name] = trial.suggest_float(name, *value["uniform"])
    return params


def run(problem, budget, seed, **sampler_options):
    evaluate = evaluator(problem)
    study = optuna.create_study(directions=problem["directions"], sampler=optuna.samplers.TPESampler(seed=seed, **sampler_options))
    history = []
    for _ in range(budget):
        trial = study.ask()
        values = evaluate(suggest(trial, problem["space"]))
        if values is None:
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
        else:
            study.tell(trial, values)
        history.append(values)
    return history


def hypervolumes(problem, history, budgets):
    reference = np.array(problem["reference"], dtype=float)
    out = []
    for budget in budgets:
        points = [losses_of(problem, v) for v in history[:budget] if v is not None]
        inside = np.array([p for p in points if all(x < r for x, r in zip(p, reference))], dtype=float).reshape(-1, len(reference))
        out.append(float(compute_hypervolume(inside, reference)) if len(inside) else 0.0)
    return out


OPTUNA_SAMPLERS = {"tpe": {}, "tpe multivariate": {"multivariate": True}}


def main():
    with open(sys.argv[1]) as f:
        args = json.load(f)
    budgets = args["budgets"]
    out = {}
    for problem in args["problems"]:
        name = problem["name"]
        print(f"  optuna: {name}", file=sys.stderr)
        out[name] = {
            "optuna": {
                sampler: [hypervolumes(problem, run(problem, max(budgets), seed, **options), budgets) for seed in args["seeds"]]
                for sampler, options in OPTUNA_SAMPLERS.items()
            },
            "ours": {sampler: [hypervolumes(problem, history, budgets) for history in runs] for sampler, runs in args["ours"][name].items()},
        }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
