"""Loads exported weights into the model their own metadata describes, as the README tells PyTorch users to.

Usage: /usr/bin/python3 load_safetensors.py WEIGHTS.safetensors

Builds the nn.Sequential of the file's architecture_spec (torch_model.build, from the spec's own input) and loads
every tensor with load_state_dict(strict=True), which fails on any missing, extra or differently shaped tensor.
Prints {"input": [...], "tensors": N} as JSON; exits non-zero with PyTorch's message when the weights do not fit.
"""

import json
import sys

import torch_model
from evaluate_safetensors import read_safetensors


def main(weights):
    tensors, metadata = read_safetensors(weights)
    spec = json.loads(metadata["architecture_spec"])
    model = torch_model.build(spec)
    model.load_state_dict(tensors, strict=True)
    print(json.dumps({"input": spec["input"], "tensors": len(tensors)}))


if __name__ == "__main__":
    main(sys.argv[1])
