#include "modules.h"

#include <map>
#include <sstream>
#include <stdexcept>

namespace exp_native {

torch::Tensor SeededDropoutImpl::forward(torch::Tensor x) {
    if (!is_training() || p == 0.0) return x;
    auto keep = torch::empty_like(x).bernoulli_(1.0 - p, generator);
    return x * keep / (1.0 - p);
}

ResidualBlockImpl::ResidualBlockImpl(int64_t in_channels, int64_t out_channels, int64_t stride) {
    using namespace torch::nn;
    conv1 = register_module("conv1", Conv2d(Conv2dOptions(in_channels, out_channels, 3).stride(stride).padding(1).bias(false)));
    bn1 = register_module("bn1", BatchNorm2d(out_channels));
    conv2 = register_module("conv2", Conv2d(Conv2dOptions(out_channels, out_channels, 3).stride(1).padding(1).bias(false)));
    bn2 = register_module("bn2", BatchNorm2d(out_channels));
    if (stride != 1 || in_channels != out_channels) {
        downsample = register_module("downsample",
            Sequential(Conv2d(Conv2dOptions(in_channels, out_channels, 1).stride(stride).bias(false)), BatchNorm2d(out_channels)));
    }
}

torch::Tensor ResidualBlockImpl::forward(torch::Tensor x) {
    auto identity = downsample ? downsample->forward(x) : x;
    auto y = torch::relu(bn1->forward(conv1->forward(x)));
    y = bn2->forward(conv2->forward(y));
    return torch::relu(y + identity);
}

torch::Tensor StridedMaxPool2dImpl::forward(const torch::Tensor& input) {
    const auto& o = options;
    const bool plain = (*o.padding())[0] == 0 && (*o.padding())[1] == 0 && (*o.dilation())[0] == 1 && (*o.dilation())[1] == 1 &&
                       !o.ceil_mode() && input.dim() == 4;
    if (!plain || (torch::GradMode::is_enabled() && input.requires_grad())) return torch::nn::MaxPool2dImpl::forward(input);
    const auto kh = (*o.kernel_size())[0], kw = (*o.kernel_size())[1], sh = (*o.stride())[0], sw = (*o.stride())[1];
    const auto height = input.size(2), width = input.size(3);
    // A window that does not fit is max_pool2d's error to give, with its own message.
    if (height < kh || width < kw) return torch::nn::MaxPool2dImpl::forward(input);
    const auto out_h = (height - kh) / sh + 1, out_w = (width - kw) / sw + 1;
    torch::Tensor result;
    for (int64_t i = 0; i < kh; ++i)
        for (int64_t j = 0; j < kw; ++j) {
            auto view = input.slice(2, i, i + sh * (out_h - 1) + 1, sh).slice(3, j, j + sw * (out_w - 1) + 1, sw);
            result = result.defined() ? torch::maximum(result, view) : view;
        }
    return result.contiguous();
}

namespace {

class LayerLine {
public:
    LayerLine(std::string line, int number) : line_(std::move(line)), number_(number) {
        std::istringstream in(line_);
        in >> type_;
        std::string token;
        while (in >> token) {
            auto eq = token.find('=');
            if (eq == std::string::npos) fail("expected key=value, got '" + token + "'");
            values_[token.substr(0, eq)] = token.substr(eq + 1);
        }
    }

    const std::string& type() const { return type_; }

    int64_t integer(const std::string& key) const {
        const auto& text = raw(key);
        try {
            size_t used = 0;
            auto value = std::stoll(text, &used);
            if (used != text.size()) throw std::invalid_argument(text);
            return value;
        } catch (const std::exception&) {
            fail("'" + key + "' must be an integer, got '" + text + "'");
        }
    }

    double real(const std::string& key) const {
        const auto& text = raw(key);
        try {
            return std::stod(text);
        } catch (const std::exception&) {
            fail("'" + key + "' must be a number, got '" + text + "'");
        }
    }

    std::string text(const std::string& key) const { return raw(key); }

    [[noreturn]] void fail(const std::string& why) const {
        throw std::invalid_argument("model spec line " + std::to_string(number_) + " (" + line_ + "): " + why);
    }

private:
    const std::string& raw(const std::string& key) const {
        auto it = values_.find(key);
        if (it == values_.end()) fail("missing '" + key + "'");
        return it->second;
    }

    std::string line_;
    int number_;
    std::string type_;
    std::map<std::string, std::string> values_;
};

torch::nn::AnyModule make_layer(const LayerLine& l, const at::Generator& dropout_generator) {
    using namespace torch::nn;
    const auto& type = l.type();
    if (type == "conv2d") {
        auto options = Conv2dOptions(l.integer("in"), l.integer("out"), {l.integer("kh"), l.integer("kw")})
                           .stride({l.integer("sh"), l.integer("sw")})
                           .dilation({l.integer("dh"), l.integer("dw")})
                           .bias(l.integer("bias") != 0);
        if (l.text("pad") == "same") {
            // PyTorch's 'same': total padding dilation·(kernel−1) per dimension, the odd one out on the bottom/right.
            const auto total_h = l.integer("dh") * (l.integer("kh") - 1), total_w = l.integer("dw") * (l.integer("kw") - 1);
            if (total_h % 2 != 0 || total_w % 2 != 0)
                return AnyModule(AsymmetricSameConv2d(options, std::vector<int64_t>{total_w / 2, total_w - total_w / 2, total_h / 2, total_h - total_h / 2}));
            options.padding(torch::kSame);
        } else
            options.padding(std::vector<int64_t>{l.integer("ph"), l.integer("pw")});
        return AnyModule(Conv2d(options));
    }
    if (type == "maxpool")
        return AnyModule(StridedMaxPool2d(MaxPool2dOptions({l.integer("kh"), l.integer("kw")})
                                       .stride({l.integer("sh"), l.integer("sw")})
                                       .padding({l.integer("ph"), l.integer("pw")})));
    if (type == "avgpool")
        return AnyModule(AvgPool2d(AvgPool2dOptions({l.integer("kh"), l.integer("kw")})
                                       .stride({l.integer("sh"), l.integer("sw")})
                                       .padding({l.integer("ph"), l.integer("pw")})));
    if (type == "relu") return AnyModule(ReLU());
    if (type == "tanh") return AnyModule(Tanh());
    if (type == "sigmoid") return AnyModule(Sigmoid());
    if (type == "flatten") return AnyModule(Flatten());
    if (type == "identity") return AnyModule(Identity());
    if (type == "dropout") {
        auto p = l.real("p");
        if (p < 0.0 || p >= 1.0) l.fail("dropout p must be in [0, 1)");
        return AnyModule(SeededDropout(p, dropout_generator));
    }
    if (type == "batchnorm2d") return AnyModule(BatchNorm2d(l.integer("features")));
    if (type == "batchnorm1d") return AnyModule(BatchNorm1d(l.integer("features")));
    if (type == "linear")
        return AnyModule(Linear(LinearOptions(l.integer("in"), l.integer("out")).bias(l.integer("bias") != 0)));
    if (type == "residual") return AnyModule(ResidualBlock(l.integer("in"), l.integer("out"), l.integer("stride")));
    if (type == "global_avgpool") return AnyModule(GlobalAvgPool());
    l.fail("unknown layer type '" + type + "'");
}

}  // namespace

torch::nn::Sequential build_sequential(const std::string& spec, const at::Generator& dropout_generator) {
    torch::nn::Sequential net;
    std::istringstream lines(spec);
    std::string line;
    int number = 0;
    while (std::getline(lines, line)) {
        ++number;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        LayerLine layer(line, number);
        net->push_back(std::to_string(net->size()), make_layer(layer, dropout_generator));
    }
    if (net->size() == 0) throw std::invalid_argument("model spec has no layers");
    return net;
}

}  // namespace exp_native
