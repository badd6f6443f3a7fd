"""Reference figures for hyperparameter importance, for tests/Analysis.Tests.

Reads a JSON file of cases and prints one JSON result per case:
- {"kind": "grid", "shape": [L1, ..., Lk], "values": [...]}: the cell means of a full factorial in C order (last
  factor fastest). Answers each factor's main-effect variance and share, from first principles with NumPy: the
  level means are the means over every other axis of the array, and the variances are population variances.
- {"kind": "random", "params": {name: {"low", "high", "log"}}, "trials": [{"params": {...}, "value": v}], "maximize"}:
  answers Optuna's fANOVA importances (FanovaImportanceEvaluator, seed 0) for those trials.
"""
import json
import sys

import numpy as np


def grid(case):
    cells = np.asarray(case["values"], dtype=np.float64).reshape(case["shape"])
    total = cells.var()
    variances = []
    for axis in range(cells.ndim):
        others = tuple(a for a in range(cells.ndim) if a != axis)
        variances.append(float(cells.mean(axis=others).var()))
    return {"variances": variances, "shares": [v / total for v in variances], "total": float(total)}


def random_search(case):
    import optuna
    from optuna.distributions import FloatDistribution

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    distributions = {name: FloatDistribution(d["low"], d["high"], log=d["log"]) for name, d in case["params"].items()}
    study = optuna.create_study(direction="maximize" if case["maximize"] else "minimize")
    for trial in case["trials"]:
        study.add_trial(optuna.trial.create_trial(params=trial["params"], distributions=distributions, value=trial["value"]))
    evaluator = optuna.importance.FanovaImportanceEvaluator(seed=0)
    importances = optuna.importance.get_param_importances(study, evaluator=evaluator, normalize=True)
    return {"importances": {k: float(v) for k, v in importances.items()}}


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)["cases"]
    results = []
    for case in cases:
        try:
            results.append(grid(case) if case["kind"] == "grid" else random_search(case))
        except Exception as e:  # one case's failure is reported with it, the others still answer
            results.append({"error": f"{type(e).__name__}: {e}"})
    print(json.dumps(results))


if __name__ == "__main__":
    main()
