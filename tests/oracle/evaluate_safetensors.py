"""Evaluates exported weights in PyTorch, independently of our engine.

Usage: /usr/bin/python3 evaluate_safetensors.py WEIGHTS.safetensors IMAGES-idx3-ubyte LABELS-idx1-ubyte

Reads the safetensors file by its published layout (8-byte little-endian header length, JSON header, raw
bytes), builds the nn.Sequential of the architecture spec in its metadata (torch_model.build), loads the tensors
with load_state_dict(strict=True), normalises the IDX images to [-1, 1] as the project does, and prints
{"accuracy": …, "samples": …, "epoch": …, "recorded_test_accuracy": …} as JSON.
"""

import json
import struct
import sys

import numpy as np
import torch

import torch_model

_DTYPES = {"F32": np.float32, "I64": np.int64}


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (header_length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + header_length])
    metadata = header.pop("__metadata__", {})
    start = 8 + header_length
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        values = np.frombuffer(raw[start + begin : start + end], dtype=_DTYPES[entry["dtype"]]).copy()
        tensors[name] = torch.from_numpy(values).reshape(entry["shape"])
    return tensors, metadata


def read_idx(path):
    with open(path, "rb") as f:
        raw = f.read()
    magic, count = struct.unpack(">II", raw[:8])
    if magic == 2051:
        rows, columns = struct.unpack(">II", raw[8:16])
        return np.frombuffer(raw[16:], dtype=np.uint8).reshape(count, 1, rows, columns)
    return np.frombuffer(raw[8:], dtype=np.uint8)


def main(weights, images_path, labels_path):
    tensors, metadata = read_safetensors(weights)
    model = torch_model.build(json.loads(metadata["architecture_spec"]))
    model.load_state_dict(tensors, strict=True)
    model.eval()
    images = torch.from_numpy(read_idx(images_path).astype(np.float32) / 255.0 * 2.0 - 1.0)
    labels = torch.from_numpy(read_idx(labels_path).astype(np.int64))
    with torch.no_grad():
        predictions = torch.cat([model(images[i : i + 500]).argmax(1) for i in range(0, len(images), 500)])
    print(json.dumps({
        "accuracy": (predictions == labels).double().mean().item(),
        "samples": len(labels),
        "epoch": int(metadata["epoch"]),
        "recorded_test_accuracy": float(metadata["test_accuracy"]),
    }))


if __name__ == "__main__":
    main(*sys.argv[1:4])
