"""Loads exported weights into PyTorch and says what PyTorch holds, for a test to compare with the stored snapshot.

Usage: /usr/bin/python3 state_dict_digest.py WEIGHTS.safetensors

Reads the file by its published layout (evaluate_safetensors.read_safetensors), builds the nn.Sequential of its
architecture_spec and loads it with load_state_dict(strict=True), then prints, for every tensor of the model's
state_dict, its shape and the SHA-256 of its values as little-endian bytes:
{"epoch": E, "tensors": {"0.weight": {"shape": [...], "sha256": "..."}, ...}}.
"""

import hashlib
import json
import sys

import torch_model
from evaluate_safetensors import read_safetensors


def main(weights):
    tensors, metadata = read_safetensors(weights)
    model = torch_model.build(json.loads(metadata["architecture_spec"]))
    model.load_state_dict(tensors, strict=True)
    digest = {}
    for name, tensor in model.state_dict().items():
        values = tensor.detach().contiguous().numpy()
        digest[name] = {
            "shape": list(values.shape),
            "sha256": hashlib.sha256(values.astype(values.dtype.newbyteorder("<")).tobytes()).hexdigest(),
        }
    print(json.dumps({"epoch": int(metadata["epoch"]), "tensors": digest}))


if __name__ == "__main__":
    main(sys.argv[1])
