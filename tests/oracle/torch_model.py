"""PyTorch oracle for the architecture spec format (docs/architectures.md).

build(spec) turns the canonical JSON written by ArchitectureWriter into an nn.Sequential whose indices and
state-dict names match the C# shape inference exactly; the Architectures tests compare the two.

Run with Debian's interpreter, which has torch (apt-get install python3-torch):

    /usr/bin/python3 tests/oracle/torch_model.py state-dict SPEC.json C H W   # {name: {shape, dtype}} in order
    /usr/bin/python3 tests/oracle/torch_model.py forward SPEC.json C H W      # that, plus the output shape
    /usr/bin/python3 tests/oracle/torch_model.py batch < CASES.json           # [{spec, input}] -> [forward result]

The input may also be a single flat feature count (F instead of C H W).
"""

import json
import sys

import torch
import torch.nn.functional as F
from torch import nn


def _pair(value):
    return tuple(value) if isinstance(value, (list, tuple)) else (value, value)


class BasicBlock(nn.Module):
    """torchvision's ResNet BasicBlock, with the same attribute names so state-dict keys agree."""

    def __init__(self, in_channels, out_channels, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.downsample = None
        if stride != 1 or in_channels != out_channels:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class GlobalAvgPool(nn.Module):
    """C×H×W -> C, without parameters."""

    def forward(self, x):
        return torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)


def _conv_padding(padding, kernel, dilation):
    if padding == "valid":
        return 0
    if padding == "same":
        return "same"
    if padding == "full":
        return (dilation[0] * (kernel[0] - 1), dilation[1] * (kernel[1] - 1))
    return _pair(padding)


def build(spec, input_shape=None):
    """The nn.Sequential for a canonical spec. input_shape (C,H,W or F) defaults to spec["input"]."""
    shape = list(input_shape if input_shape is not None else spec["input"])
    layers = []
    for layer in spec["layers"]:
        kind = layer["type"]
        if kind == "conv2d":
            kernel, dilation = _pair(layer["kernel"]), _pair(layer.get("dilation", 1))
            module = nn.Conv2d(shape[0], layer["out"], kernel, stride=_pair(layer.get("stride", 1)),
                               padding=_conv_padding(layer.get("padding", "valid"), kernel, dilation),
                               dilation=dilation, bias=layer.get("bias", True))
        elif kind in ("maxpool", "avgpool"):
            kernel = _pair(layer["kernel"])
            stride, padding = _pair(layer.get("stride", kernel)), _pair(layer.get("padding", 0))
            pool = nn.MaxPool2d if kind == "maxpool" else nn.AvgPool2d
            module = pool(kernel, stride=stride, padding=padding)
        elif kind == "relu":
            module = nn.ReLU()
        elif kind == "tanh":
            module = nn.Tanh()
        elif kind == "sigmoid":
            module = nn.Sigmoid()
        elif kind == "dropout":
            module = nn.Dropout(layer.get("p", 0.5))
        elif kind == "batchnorm":
            module = nn.BatchNorm2d(shape[0]) if len(shape) == 3 else nn.BatchNorm1d(shape[0])
        elif kind == "flatten":
            module = nn.Flatten()
        elif kind == "linear":
            module = nn.Linear(shape[0], layer["out"], bias=layer.get("bias", True))
        elif kind == "residual":
            module = BasicBlock(shape[0], layer["out"], layer.get("stride", 1))
        elif kind == "global_avgpool":
            module = GlobalAvgPool()
        elif kind == "softmax":
            # Softmax lives in the loss (CrossEntropyLoss takes logits), so the layer itself is an identity.
            module = nn.Identity()
        else:
            raise ValueError(f"unknown layer type {kind!r}")
        layers.append(module)
        shape = _output_shape(module, shape)
    return nn.Sequential(*layers)


def _output_shape(module, shape):
    # Shapes are found by running a zero sample through the layer in eval mode, so batch norm accepts batch 2.
    module.eval()
    with torch.no_grad():
        return list(module(torch.zeros([2] + list(shape))).shape[1:])


def state_dict_json(model):
    dtypes = {torch.float32: "float32", torch.int64: "int64"}
    return {name: {"shape": list(t.shape), "dtype": dtypes.get(t.dtype, str(t.dtype))}
            for name, t in model.state_dict().items()}


def forward_json(spec, input_shape):
    model = build(spec, input_shape).eval()
    with torch.no_grad():
        output = model(torch.zeros([2] + list(input_shape)))
    return {"state_dict": state_dict_json(model), "output": list(output.shape[1:]),
            "parameters": sum(p.numel() for p in model.parameters())}


def main(argv):
    usage = "usage: torch_model.py state-dict|forward SPEC.json C H W | batch < CASES.json"
    if len(argv) >= 1 and argv[0] == "batch":
        cases = json.load(sys.stdin)
        results = []
        for case in cases:
            try:
                results.append(forward_json(case["spec"], case["input"]))
            except Exception as error:  # report per case so one bad spec does not hide the others
                results.append({"error": f"{type(error).__name__}: {error}"})
        json.dump(results, sys.stdout)
        return 0
    if len(argv) not in (3, 5) or argv[0] not in ("state-dict", "forward"):
        print(usage, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        spec = json.load(f)
    input_shape = [int(d) for d in argv[2:]]
    result = forward_json(spec, input_shape)
    if argv[0] == "state-dict":
        print(_one_entry_per_line(result["state_dict"]))
    else:
        print("{\n" + f'"state_dict": {_one_entry_per_line(result["state_dict"])},\n'
              + f'"output": {json.dumps(result["output"])},\n"parameters": {result["parameters"]}\n}}')
    return 0


def _one_entry_per_line(mapping):
    return "{\n" + ",\n".join(f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in mapping.items()) + "\n}"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
