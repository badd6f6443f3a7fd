"""Shared plumbing of the PyTorch oracles that the C# tests drive (tests/Worker.Tests/OracleSupport).

It computes nothing itself: it reads a case file, turns the tensors in it into torch tensors, runs an
oracle's function on every case and prints one JSON result per case on stdout.

The case file is JSON: {"threads": N, "cases": [case, ...]}. A tensor is {"shape": [...], "dtype":
"float32" | "int64", "data": base64 of its little-endian bytes}, so values cross the boundary bit for bit
(decimal text could round a float32 differently on the way back). A case that raises reports
{"error": "..."} instead of a result, so one bad case does not hide the others.
"""

import base64
import json
import sys
import traceback

import numpy as np
import torch

_NUMPY_DTYPES = {"float32": "<f4", "int64": "<i8"}


def tensor_from_json(entry):
    raw = base64.b64decode(entry["data"])
    values = np.frombuffer(raw, dtype=_NUMPY_DTYPES[entry["dtype"]]).copy()
    return torch.from_numpy(values).reshape(entry["shape"])


def tensor_to_json(tensor):
    tensor = tensor.detach().contiguous()
    dtype = {torch.float32: "float32", torch.int64: "int64"}[tensor.dtype]
    data = tensor.numpy().astype(_NUMPY_DTYPES[dtype], copy=False).tobytes()
    return {"shape": list(tensor.shape), "dtype": dtype, "data": base64.b64encode(data).decode("ascii")}


def load_state(model, state):
    """Loads {name: tensor json} with strict=True: a name, shape or dtype PyTorch does not expect fails loudly."""
    model.load_state_dict({name: tensor_from_json(entry) for name, entry in state.items()}, strict=True)


def state_to_json(model):
    return {name: tensor_to_json(tensor) for name, tensor in model.state_dict().items()}


def run(compute):
    """Reads the case file named on the command line and prints [compute(case) for each case] as JSON."""
    if len(sys.argv) != 2:
        print(f"usage: {sys.argv[0]} CASES.json", file=sys.stderr)
        sys.exit(2)
    with open(sys.argv[1], encoding="utf-8") as f:
        request = json.load(f)
    # The same intra-op thread count as the engine under test, so both reduce in the same order where they can.
    torch.set_num_threads(int(request.get("threads", 1)))
    results = []
    for case in request["cases"]:
        try:
            results.append(compute(case))
        except Exception as error:  # reported per case; the C# side turns it into a failure naming the case
            results.append({"error": f"{type(error).__name__}: {error}\n{traceback.format_exc()}"})
    json.dump(results, sys.stdout)
