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

/// A convolution with PyTorch's padding='same' where a dimension's total padding, dilation·(kernel−1), is odd (an
/// even kernel, as in doshi-mnist's 2×2): the extra row and column go on the bottom and right, as PyTorch puts them.
/// libtorch's own kSame does the same arithmetic but warns through glog on first use, and that warning reached our
/// users' stderr as a raw "WARNING: Logging before InitGoogleLogging()". Padding the input explicitly, then
/// convolving without padding, gives PyTorch's output without the warning. It is a Conv2dImpl, so its tensors keep
/// the names weight and bias, and its initial weights draw the same random numbers as any Conv2d.
struct AsymmetricSameConv2dImpl : torch::nn::Conv2dImpl {
    AsymmetricSameConv2dImpl(torch::nn::Conv2dOptions options, std::vector<int64_t> left_right_top_bottom)
        : torch::nn::Conv2dImpl(options.padding(0)), pad(std::move(left_right_top_bottom)) {}
    torch::Tensor forward(const torch::Tensor& input) { return torch::nn::Conv2dImpl::forward(torch::constant_pad_nd(input, pad, 0)); }
    std::vector<int64_t> pad;
};
TORCH_MODULE(AsymmetricSameConv2d);

/// Max pooling that, where no gradient is wanted (evaluation, inference mode), takes the maximum of the kernel's
/// kh·kw strided views of the input instead of calling max_pool2d. libtorch 1.13's CPU max_pool2d always computes the
/// argmax indices too, for a backward pass that evaluation never runs; at one thread that made the pools of
/// lenet-matconvnet about a quarter of its evaluation time, and the strided maximum is 4–6× faster. The result is
/// the same bit for bit: a maximum is exact whatever the order, and torch::maximum propagates NaN as max_pool2d
/// does. With padding, dilation or ceil_mode, or when a gradient is wanted (training, attribution), it is
/// max_pool2d unchanged, so training and its indices-based backward pass are untouched.
struct StridedMaxPool2dImpl : torch::nn::MaxPool2dImpl {
    using torch::nn::MaxPool2dImpl::MaxPool2dImpl;
    torch::Tensor forward(const torch::Tensor& input);
};
TORCH_MODULE(StridedMaxPool2d);

/// C×H×W → C: the mean of every channel, as CAM needs.
struct GlobalAvgPoolImpl : torch::nn::Module {
    torch::Tensor forward(torch::Tensor x) { return torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1); }
};
TORCH_MODULE(GlobalAvgPool);

/// Parses the line-per-layer spec (see NativeModelSpec.cs) into an nn.Sequential-equivalent.
/// Throws std::invalid_argument naming the line on any problem.
torch::nn::Sequential build_sequential(const std::string& spec, const at::Generator& dropout_generator);

}  // namespace exp_native
