"""The seed grid run by Optuna, the peer of `./experiments bench grid` (bench/README.md, "Grid against Optuna").

GridBench (bench/GridBench) runs this in the same invocation as our own sweep, on the same machine and the same
PostgreSQL server, with the same work per trial:

- the same splits: DATA holds the train, validation and test images our DatasetCatalog made (raw float32 NCHW,
  int32 labels, meta.json with the shape and the counts), so both sides train and evaluate the same images;
- the same architectures: DATA/arch/<name>.json is the canonical spec our engine builds, turned into an
  nn.Sequential by tests/oracle/torch_model.py;
- the same training: Adam (lr, weight_decay as L2, PyTorch's defaults otherwise), cross-entropy, batches of
  --batch drawn by one randperm per epoch;
- the same evaluation, every epoch and epoch 0 (the untrained model) included: loss and accuracy of the first
  --train-sample training images, the whole validation split and the whole test split, in eval mode without
  autograd, in batches of --eval-batch.

`run` creates the study (PostgreSQL RDB storage, GridSampler over the grid), starts --workers processes of
`worker`, each with torch.set_num_threads(--threads) and study.optimize(n_trials=--trials-per-worker), waits for
them, and prints one JSON line:

  {"wall_seconds": s, "trials": [{"number", "state", "params", "seconds", "train_seconds", "eval_seconds",
   "val_accuracy"}], "grid_points": n, "distinct_points_run": n, "duplicates": n}

wall_seconds runs from starting the workers to the last one's exit: interpreter start, imports, data loading and
storage connections included, as a user running the two workers would see it. Run with /usr/bin/python3 (torch)
and OPENBLAS_NUM_THREADS=1 (GridBench sets it).
"""

import argparse
import json
import os
import subprocess
import sys
import time

ORACLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "oracle")


def load_split(data_dir, name, shape):
    import numpy as np
    import torch

    images = np.fromfile(os.path.join(data_dir, name + ".f32"), dtype=np.float32).reshape([-1] + shape)
    labels = np.fromfile(os.path.join(data_dir, name + ".i32"), dtype=np.int32).astype(np.int64)
    return torch.from_numpy(images), torch.from_numpy(labels)


def evaluate(model, images, labels, batch):
    """Mean cross-entropy and accuracy in eval mode, without autograd."""
    import torch
    import torch.nn.functional as F

    if len(labels) == 0:
        return float("nan"), float("nan")
    model.eval()
    loss_sum, correct = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(labels), batch):
            x, y = images[start:start + batch], labels[start:start + batch]
            logits = model(x)
            loss_sum += F.cross_entropy(logits, y, reduction="sum").item()
            correct += (logits.argmax(1) == y).sum().item()
    return loss_sum / len(labels), correct / len(labels)


def worker(args):
    import optuna
    import torch
    import torch.nn.functional as F

    sys.path.insert(0, ORACLE)
    import torch_model  # noqa: E402  (found through the path above)

    torch.set_num_threads(args.threads)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with open(os.path.join(args.data, "meta.json")) as f:
        meta = json.load(f)
    shape = meta["shape"]
    train_x, train_y = load_split(args.data, "train", shape)
    val_x, val_y = load_split(args.data, "val", shape)
    test_x, test_y = load_split(args.data, "test", shape)
    sample_x, sample_y = train_x[:args.train_sample], train_y[:args.train_sample]
    with open(args.grid) as f:
        grid = json.load(f)
    specs = {}
    for name in grid["arch"]:
        with open(os.path.join(args.data, "arch", name + ".json")) as f:
            specs[name] = json.load(f)

    def evaluate_all(model):
        figures = {}
        for split, x, y in (("train", sample_x, sample_y), ("val", val_x, val_y), ("test", test_x, test_y)):
            figures[split] = evaluate(model, x, y, args.eval_batch)
        return figures

    def objective(trial):
        arch = trial.suggest_categorical("arch", grid["arch"])
        lr = trial.suggest_categorical("lr", grid["lr"])
        weight_decay = trial.suggest_categorical("weight_decay", grid["weight_decay"])
        torch.manual_seed(trial.number)
        model = torch_model.build(specs[arch], shape)
        optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
        train_seconds = eval_seconds = 0.0

        start = time.perf_counter()
        figures = evaluate_all(model)
        eval_seconds += time.perf_counter() - start
        trial.report(figures["val"][1], 0)
        order = torch.Generator().manual_seed(trial.number)
        n = len(train_y)
        for epoch in range(1, args.epochs + 1):
            start = time.perf_counter()
            model.train()
            permutation = torch.randperm(n, generator=order)
            for first in range(0, n, args.batch):
                index = permutation[first:first + args.batch]
                x, y = train_x.index_select(0, index), train_y.index_select(0, index)
                optimizer.zero_grad()
                loss = F.cross_entropy(model(x), y)
                loss.backward()
                optimizer.step()
            train_seconds += time.perf_counter() - start
            start = time.perf_counter()
            figures = evaluate_all(model)
            eval_seconds += time.perf_counter() - start
            trial.report(figures["val"][1], epoch)
        trial.set_user_attr("train_seconds", train_seconds)
        trial.set_user_attr("eval_seconds", eval_seconds)
        return figures["val"][1]

    study = optuna.load_study(study_name=args.study, storage=args.storage,
                              sampler=optuna.samplers.GridSampler(grid))
    study.optimize(objective, n_trials=args.trials_per_worker)


def run(args):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with open(args.grid) as f:
        grid = json.load(f)
    optuna.create_study(study_name=args.study, storage=args.storage, direction="maximize",
                        sampler=optuna.samplers.GridSampler(grid))
    command = [sys.executable, os.path.abspath(__file__), "worker"] + worker_arguments(args)
    start = time.perf_counter()
    workers = [subprocess.Popen(command) for _ in range(args.workers)]
    codes = [w.wait() for w in workers]
    wall = time.perf_counter() - start
    if any(codes):
        print(f"an Optuna worker failed (exit codes {codes})", file=sys.stderr)
        return 1

    study = optuna.load_study(study_name=args.study, storage=args.storage)
    trials = []
    for t in study.get_trials(deepcopy=False):
        seconds = (t.datetime_complete - t.datetime_start).total_seconds() if t.datetime_complete else None
        trials.append({"number": t.number, "state": t.state.name, "params": t.params, "seconds": seconds,
                       "train_seconds": t.user_attrs.get("train_seconds"), "eval_seconds": t.user_attrs.get("eval_seconds"),
                       "val_accuracy": t.value})
    completed = [t for t in trials if t["state"] == "COMPLETE"]
    points = {(t["params"]["arch"], t["params"]["lr"], t["params"]["weight_decay"]) for t in completed}
    grid_points = len(grid["arch"]) * len(grid["lr"]) * len(grid["weight_decay"])
    print(json.dumps({"wall_seconds": wall, "trials": trials, "grid_points": grid_points,
                      "distinct_points_run": len(points), "duplicates": len(completed) - len(points)}))
    return 0


def worker_arguments(args):
    return ["--data", args.data, "--grid", args.grid, "--storage", args.storage, "--study", args.study,
            "--threads", str(args.threads), "--epochs", str(args.epochs), "--batch", str(args.batch),
            "--eval-batch", str(args.eval_batch), "--train-sample", str(args.train_sample),
            "--trials-per-worker", str(args.trials_per_worker)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["run", "worker"])
    parser.add_argument("--data", required=True, help="folder of train/val/test .f32/.i32 files, meta.json and arch/*.json")
    parser.add_argument("--grid", required=True, help='JSON file: {"arch": [...], "lr": [...], "weight_decay": [...]}')
    parser.add_argument("--storage", required=True, help="SQLAlchemy URL of the study's PostgreSQL database")
    parser.add_argument("--study", required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--trials-per-worker", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--eval-batch", type=int, default=256)
    parser.add_argument("--train-sample", type=int, default=2000)
    args = parser.parse_args()
    if args.mode == "worker":
        worker(args)
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
