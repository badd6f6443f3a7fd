"""PyTorch's training steps: the state after torch.optim takes a few steps of cross-entropy on given batches.

For each case {"spec", "input_shape", "state": {name: tensor}, "images": N×C×H×W tensor, "labels": N int64
tensor, "batches": [[start, end], ...], "optimizer": {"kind": "adam" | "sgd", "lr", "weight_decay",
"momentum", "nesterov", "beta1", "beta2", "eps"}} it builds the nn.Sequential with torch_model.build, loads
the state (strict=True), and in train() mode runs, per batch in order: zero_grad, cross_entropy(model(x), y),
backward, step. It returns {"losses": [loss of each batch before its step], "state": every state tensor
after the last step}, buffers included (batch norm's running statistics move in train mode too).

    /usr/bin/python3 tests/oracle/optimizer_oracle.py CASES.json
"""

import torch
import torch.nn.functional as F

import oracle_io
import torch_model


def make_optimizer(parameters, settings):
    if settings["kind"] == "adam":
        return torch.optim.Adam(parameters, lr=settings["lr"], betas=(settings["beta1"], settings["beta2"]),
                                eps=settings["eps"], weight_decay=settings["weight_decay"])
    if settings["kind"] == "sgd":
        return torch.optim.SGD(parameters, lr=settings["lr"], momentum=settings["momentum"],
                               weight_decay=settings["weight_decay"], nesterov=settings["nesterov"])
    raise ValueError(f"unknown optimizer {settings['kind']!r}")


def train(case):
    model = torch_model.build(case["spec"], case["input_shape"])
    oracle_io.load_state(model, case["state"])
    model.train()
    optimizer = make_optimizer(model.parameters(), case["optimizer"])
    images = oracle_io.tensor_from_json(case["images"])
    labels = oracle_io.tensor_from_json(case["labels"])
    losses = []
    for start, end in case["batches"]:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(images[start:end]), labels[start:end])
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return {"losses": losses, "state": oracle_io.state_to_json(model)}


if __name__ == "__main__":
    oracle_io.run(train)
