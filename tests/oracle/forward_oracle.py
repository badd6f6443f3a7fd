"""PyTorch's evaluation-mode forward pass, layer by layer, for given weights and a given batch.

For each case {"spec": canonical architecture JSON, "input_shape": [C, H, W] or [F], "state": {name: tensor},
"input": tensor} it builds the nn.Sequential with torch_model.build, loads the state with strict=True (so
our state-dict names, shapes and dtypes must be exactly PyTorch's), switches to eval() and returns
{"outputs": [output of layer 0, output of layer 1, ...]}, each a tensor (see oracle_io).

    /usr/bin/python3 tests/oracle/forward_oracle.py CASES.json
"""

import torch

import oracle_io
import torch_model


def forward(case):
    model = torch_model.build(case["spec"], case["input_shape"])
    oracle_io.load_state(model, case["state"])
    model.eval()
    x = oracle_io.tensor_from_json(case["input"])
    outputs = []
    with torch.no_grad():
        for layer in model:
            x = layer(x)
            outputs.append(oracle_io.tensor_to_json(x))
    return {"outputs": outputs}


if __name__ == "__main__":
    oracle_io.run(forward)
