// Layer modules and the model builder. Everything a model needs lives here; the C ABI is in
// experiments_native.cpp.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

namespace exp_native {

/// Dropout whose masks come from the model's own generator rather than libtorch's global one, so
/// concurrent trials in one process stay reproducible and a resumed epoch draws the same masks.
struct SeededDropoutImpl : torch::nn::Module {
    SeededDropoutImpl(double p, at::Generator generator) : p(p), generator(std::move(generator)) {}
    torch::Tensor forward(torch::Tensor x);
    double p;
    at::Generator generator;
};
TORCH_MODULE(SeededDropout);

/// torchvision's BasicBlock: names conv1, bn1, conv2, bn2, downsample, so state dicts line up.
struct ResidualBlockImpl : torch::nn::Module {
    ResidualBlockImpl(int64_t in_channels, int64_t out_channels, int64_t stride);
    torch::Tensor forward(torch::Tensor x);
    torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
    torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
    torch::nn::Sequential downsample{nullptr};
};
TORCH_MODULE(ResidualBlock);

/// C×H×W → C: the mean of every channel, as CAM needs.
struct GlobalAvgPoolImpl : torch::nn::Module {
    torch::Tensor forward(torch::Tensor x) { return torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1); }
};
TORCH_MODULE(GlobalAvgPool);

/// Parses the line-per-layer spec (see NativeModelSpec.cs) into an nn.Sequential-equivalent.
/// Throws std::invalid_argument naming the line on any problem.
torch::nn::Sequential build_sequential(const std::string& spec, const at::Generator& dropout_generator);

}  // namespace exp_native
