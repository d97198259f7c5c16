"""Optuna's parameter importances on the trials bench/search.ts generated, timed.

Run by bench/search.ts in the bench's venv (.bench-venv, `pip install optuna scikit-learn`):
    python bench/importance_optuna.py TRIALS.json
TRIALS.json: {"cases": [{"name", "direction", "space": [src/strategy/space.ts entries], "trials":
[{"params", "value"}], "fanovaTrials": N}]}. For each case, PED-ANOVA (Optuna's default evaluator)
runs on every trial and fANOVA (seed 0) on the first fanovaTrials (none when 0). Only get_param_importances is
timed (the study is built first). Prints JSON: {name: {method: {"seconds", "importances"}}}.
"""
import json
import sys
import time

import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.importance import FanovaImportanceEvaluator, PedAnovaImportanceEvaluator, get_param_importances

optuna.logging.set_verbosity(optuna.logging.ERROR)


def distribution(p):
    if p["kind"] == "choice":
        return CategoricalDistribution(p["choices"])
    if p["kind"] == "int":
        return IntDistribution(p["low"], p["high"])
    return FloatDistribution(p["low"], p["high"], log=p["kind"] == "logUniform")


def study_of(case, n):
    study = optuna.create_study(direction=case["direction"])
    dists = {p["name"]: distribution(p) for p in case["space"]}
    study.add_trials(
        [optuna.trial.create_trial(params=t["params"], distributions=dists, value=t["value"]) for t in case["trials"][:n]]
    )
    return study


def timed(study, evaluator):
    started = time.perf_counter()
    importances = get_param_importances(study, evaluator=evaluator)
    return {"seconds": time.perf_counter() - started, "importances": importances}


with open(sys.argv[1]) as f:
    cases = json.load(f)["cases"]
out = {}
for case in cases:
    out[case["name"]] = {"ped-anova": timed(study_of(case, len(case["trials"])), PedAnovaImportanceEvaluator())}
    if case["fanovaTrials"] > 0:
        out[case["name"]]["fanova"] = timed(study_of(case, case["fanovaTrials"]), FanovaImportanceEvaluator(seed=0))
print(json.dumps(out))
