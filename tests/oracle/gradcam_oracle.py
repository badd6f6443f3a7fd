"""PyTorch reference for saliency, Grad-CAM and CAM (seed 004, section 6), for given weights and images.

For each case {"spec": canonical architecture JSON, "input_shape": [C, H, W], "state": {name: tensor},
"input": 1×C×H×W tensor, "class": c, "layers": [Grad-CAM layer indices], "cam": bool} it builds the
nn.Sequential with torch_model.build, loads the state with strict=True, switches to eval() and returns:

- "logits": the model's output;
- "input_gradient": d(logit_c)/d(input), from autograd (the score is the pre-softmax logit of class c);
- "saliency": max over channels of |input_gradient| (Simonyan et al. 2014), H×W;
- "gradcam": for each layer L, {"alpha": spatial mean of d(logit_c)/dA (A = layer L's output), "raw":
  ReLU(sum_k alpha_k A^k) at L's resolution, "upsampled": raw resized to H×W with
  F.interpolate(mode="bilinear", align_corners=False), then min-max normalised to [0, 1] (zeros when constant)};
- "cam" (when asked, for a network ending in global average pooling then a linear layer): "raw" =
  sum_k w_ck A^k, A being the pooling's input and w the linear weight (no bias, no ReLU), and "upsampled" as above.

    /usr/bin/python3 tests/oracle/gradcam_oracle.py CASES.json
"""

import torch
import torch.nn.functional as F

import oracle_io
import torch_model


def _upsample_and_normalise(raw, size):
    up = F.interpolate(raw[None, None], size=size, mode="bilinear", align_corners=False)[0, 0]
    low, high = up.min(), up.max()
    return (up - low) / (high - low) if high > low else torch.zeros_like(up)


def _forward_keeping_outputs(model, x):
    outputs = []
    for layer in model:
        x = layer(x)
        outputs.append(x)
    return outputs


def attribute(case):
    model = torch_model.build(case["spec"], case["input_shape"])
    oracle_io.load_state(model, case["state"])
    model.eval()
    target = int(case["class"])
    image = oracle_io.tensor_from_json(case["input"]).requires_grad_(True)
    size = tuple(image.shape[2:])

    outputs = _forward_keeping_outputs(model, image)
    logits = outputs[-1]
    layers = [int(index) for index in case["layers"]]
    activations = [outputs[index] for index in layers]
    gradients = torch.autograd.grad(logits[0, target], [image] + activations)
    input_gradient = gradients[0]
    result = {
        "logits": oracle_io.tensor_to_json(logits),
        "input_gradient": oracle_io.tensor_to_json(input_gradient),
        "saliency": oracle_io.tensor_to_json(input_gradient[0].abs().amax(dim=0)),
        "gradcam": [],
    }
    with torch.no_grad():
        for activation, gradient in zip(activations, gradients[1:]):
            alpha = gradient[0].mean(dim=(1, 2))
            raw = torch.relu((alpha[:, None, None] * activation[0]).sum(dim=0))
            result["gradcam"].append({
                "alpha": oracle_io.tensor_to_json(alpha),
                "raw": oracle_io.tensor_to_json(raw),
                "upsampled": oracle_io.tensor_to_json(_upsample_and_normalise(raw, size)),
            })
        if case.get("cam"):
            pools = [i for i, m in enumerate(model) if isinstance(m, torch_model.GlobalAvgPool)]
            linears = [i for i, m in enumerate(model) if isinstance(m, torch.nn.Linear)]
            pool, linear = pools[-1], linears[-1]
            assert linear > pool, "CAM needs global average pooling before the last linear layer"
            features = outputs[pool - 1][0]
            weights = model[linear].weight[target]
            raw = torch.einsum("k,khw->hw", weights, features)
            result["cam"] = {"raw": oracle_io.tensor_to_json(raw),
                             "upsampled": oracle_io.tensor_to_json(_upsample_and_normalise(raw, size))}
    return result


if __name__ == "__main__":
    oracle_io.run(attribute)
