"""The scikit-learn oracle of tests/Analysis.Tests (Experiments.Analysis against sklearn.metrics).

Run with Debian's interpreter, /usr/bin/python3, which has python3-sklearn (1.2.1) and numpy.

It follows the convention of oracle_io.py without importing it (that module needs torch, this one must not):
the case file is JSON {"cases": [case, ...]}; an array is {"shape": [...], "dtype": "float32" | "float64" |
"int64", "data": base64 of its little-endian bytes}, both ways, so every value crosses the boundary bit for bit
and NaN survives (JSON has no NaN). A case that raises reports {"error": "..."} so one bad case does not hide
the others.

A case holds "scores" (float32 n×k, logits or probabilities: the arg-max gives the predictions), "labels"
(int64 n), "classes" k, "probabilities" (float64 n×k: what our ROC was computed from, so both sides rank the very
same numbers) and, when the scores are logits, "check_softmax": true to compare our softmax with numpy's.
"""

import base64
import json
import sys
import traceback
import warnings

import numpy as np
from sklearn import metrics
from sklearn.exceptions import UndefinedMetricWarning

_DTYPES = {"float32": "<f4", "float64": "<f8", "int64": "<i8"}


def array_from_json(entry):
    raw = base64.b64decode(entry["data"])
    return np.frombuffer(raw, dtype=_DTYPES[entry["dtype"]]).copy().reshape(entry["shape"])


def array_to_json(values):
    values = np.ascontiguousarray(np.asarray(values, dtype=np.float64))
    return {"shape": list(values.shape), "dtype": "float64",
            "data": base64.b64encode(values.astype("<f8", copy=False).tobytes()).decode("ascii")}


def softmax(logits):
    shifted = logits.astype(np.float64) - logits.astype(np.float64).max(axis=1, keepdims=True)
    exps = np.exp(shifted)
    return exps / exps.sum(axis=1, keepdims=True)


def compute(case):
    k = int(case["classes"])
    scores = array_from_json(case["scores"])
    labels = array_from_json(case["labels"])
    probabilities = array_from_json(case["probabilities"])
    classes = list(range(k))
    predictions = np.argmax(scores, axis=1)

    precision, recall, f1, support = metrics.precision_recall_fscore_support(
        labels, predictions, labels=classes, average=None, zero_division=0)
    macro_p, macro_r, macro_f1, _ = metrics.precision_recall_fscore_support(
        labels, predictions, labels=classes, average="macro", zero_division=0)
    result = {
        "accuracy": float(metrics.accuracy_score(labels, predictions)),
        "confusion": metrics.confusion_matrix(labels, predictions, labels=classes).tolist(),
        "precision": array_to_json(precision),
        "recall": array_to_json(recall),
        "f1": array_to_json(f1),
        "support": [int(s) for s in support],
        "macro_precision": array_to_json([macro_p]),
        "macro_recall": array_to_json([macro_r]),
        "macro_f1": array_to_json([macro_f1]),
    }
    if case.get("check_softmax"):
        result["softmax"] = array_to_json(softmax(scores))

    curves = []
    for c in classes:
        positive = labels == c
        with warnings.catch_warnings():
            # sklearn warns, and returns NaN rates, when the class is absent (or is every label): compared as such.
            warnings.simplefilter("ignore", UndefinedMetricWarning)
            fpr, tpr, thresholds = metrics.roc_curve(positive, probabilities[:, c], drop_intermediate=True)
        defined = positive.any() and not positive.all()
        auc = metrics.roc_auc_score(positive, probabilities[:, c]) if defined else float("nan")
        if defined:
            by_trapezoid = metrics.auc(fpr, tpr)
            if abs(by_trapezoid - auc) > 1e-12:
                raise AssertionError(f"class {c}: roc_auc_score {auc} and auc(fpr, tpr) {by_trapezoid} disagree")
        curves.append({"fpr": array_to_json(fpr), "tpr": array_to_json(tpr),
                       "thresholds": array_to_json(thresholds), "auc": array_to_json([auc])})
    result["curves"] = curves

    present = [c for c in classes if (labels == c).any() and not (labels == c).all()]
    if len(present) == k:
        if k == 2:
            macro_auc = metrics.roc_auc_score(labels, probabilities[:, 1])
        else:
            macro_auc = metrics.roc_auc_score(labels, probabilities, multi_class="ovr", average="macro", labels=classes)
        result["macro_auc_source"] = "roc_auc_score"
    else:
        # sklearn raises here; our documented choice is the mean over the classes whose AUC is defined.
        macro_auc = float(np.mean([metrics.roc_auc_score(labels == c, probabilities[:, c]) for c in present])) \
            if present else float("nan")
        result["macro_auc_source"] = "mean over defined classes"
    result["macro_auc"] = array_to_json([macro_auc])
    return result


def main():
    if len(sys.argv) != 2:
        print(f"usage: {sys.argv[0]} CASES.json", file=sys.stderr)
        sys.exit(2)
    with open(sys.argv[1], encoding="utf-8") as f:
        request = json.load(f)
    results = []
    for case in request["cases"]:
        try:
            results.append(compute(case))
        except Exception as error:  # reported per case; the C# side turns it into a failure naming the case
            results.append({"error": f"{type(error).__name__}: {error}\n{traceback.format_exc()}"})
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
