"""PyTorch's training throughput (images per second) on the data and model EngineBench gives it.

EngineBench (bench/EngineBench) runs this in the same invocation as its own measurement, with the same images
(raw float32 NCHW and int32 label files), the same architecture (canonical JSON, built by
tests/oracle/torch_model.py), batch size, epochs, warm-up and intra-op threads. It trains with Adam and
cross-entropy, counting the loss and the correct predictions per batch as our engine does, in two ways:

  idiomatic  the loop a researcher writes: TensorDataset + DataLoader(shuffle=True, batch_size=B)
  tight      a loop over slices of tensors shuffled before each epoch's clock starts (no per-sample Python work)

and prints one JSON line: {"torch": version, "idiomatic": {"images_per_second": [per epoch],
"minor_faults_per_batch": n}, "tight": {...}}. Minor page faults are counted because on the machine this was
written on they, not arithmetic, decided PyTorch's speed (bench/README.md).
Run it with OPENBLAS_NUM_THREADS=1 (EngineBench does), so BLAS does not compete with torch's own threads.
"""

import argparse
import json
import os
import resource
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "oracle"))
import torch_model  # noqa: E402  (found through the path above)


def minor_faults():
    # Page faults that needed no disk: here, freshly allocated tensor memory touched for the first time.
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def batches(n, batch):
    return (n + batch - 1) // batch


def train_batch(model, optimizer, x, y):
    optimizer.zero_grad()
    logits = model(x)
    loss = F.cross_entropy(logits, y)
    loss.backward()
    optimizer.step()
    return loss.item() * len(y), (logits.argmax(1) == y).sum().item()


def idiomatic_epochs(model, optimizer, images, labels, args):
    loader = DataLoader(TensorDataset(images, labels), batch_size=args.batch, shuffle=True)
    for i, (x, y) in enumerate(loader):  # warm-up
        if i >= args.warmup:
            break
        train_batch(model, optimizer, x, y)
    rates, faults = [], 0
    for _ in range(args.epochs):
        start, faults_before = time.perf_counter(), minor_faults()
        for x, y in loader:
            train_batch(model, optimizer, x, y)
        rates.append(len(images) / (time.perf_counter() - start))
        faults += minor_faults() - faults_before
    return rates, faults / (args.epochs * batches(len(images), args.batch))


def tight_epochs(model, optimizer, images, labels, args):
    for i in range(args.warmup):
        train_batch(model, optimizer, images[i * args.batch:(i + 1) * args.batch], labels[i * args.batch:(i + 1) * args.batch])
    rates, faults = [], 0
    n = len(images)
    for _ in range(args.epochs):
        # Shuffled before the clock starts: this loop is PyTorch at its leanest, an upper bound on a real loop.
        order = torch.randperm(n)
        xs, ys = images[order], labels[order]
        start, faults_before = time.perf_counter(), minor_faults()
        for i in range(0, n, args.batch):
            train_batch(model, optimizer, xs[i:i + args.batch], ys[i:i + args.batch])
        rates.append(n / (time.perf_counter() - start))
        faults += minor_faults() - faults_before
    return rates, faults / (args.epochs * batches(n, args.batch))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", required=True, help="canonical architecture JSON")
    parser.add_argument("--images", required=True, help="raw little-endian float32 pixels, N×C×H×W")
    parser.add_argument("--labels", required=True, help="raw little-endian int32 labels, N")
    parser.add_argument("--shape", required=True, help="C,H,W of one image")
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    shape = [int(d) for d in args.shape.split(",")]
    images = torch.from_numpy(np.fromfile(args.images, dtype="<f4").reshape([args.count] + shape))
    labels = torch.from_numpy(np.fromfile(args.labels, dtype="<i4").astype(np.int64))
    with open(args.spec, encoding="utf-8") as f:
        spec = json.load(f)

    result = {"torch": torch.__version__}
    for mode, epochs in (("idiomatic", idiomatic_epochs), ("tight", tight_epochs)):
        torch.manual_seed(1)
        model = torch_model.build(spec, shape).train()
        optimizer = torch.optim.Adam(model.parameters())
        rates, faults_per_batch = epochs(model, optimizer, images, labels, args)
        result[mode] = {"images_per_second": rates, "minor_faults_per_batch": faults_per_batch}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
