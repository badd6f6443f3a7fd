#include "experiments_native.h"

#include <ATen/CPUGeneratorImpl.h>
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "modules.h"

namespace {

thread_local std::string last_error;

void set_error(const char* message) { last_error = message ? message : "unknown native error"; }

// Every export body runs inside EXP_TRY … EXP_CATCH(failure value).
#define EXP_TRY try {
#define EXP_CATCH(failure)                                 \
    }                                                      \
    catch (const c10::Error& e) {                          \
        set_error(e.what_without_backtrace());             \
        return failure;                                    \
    }                                                      \
    catch (const std::exception& e) {                      \
        set_error(e.what());                               \
        return failure;                                    \
    }                                                      \
    catch (...) {                                          \
        set_error("unknown native error (non-standard exception)"); \
        return failure;                                    \
    }

void require(bool condition, const std::string& message) {
    if (!condition) throw std::invalid_argument(message);
}

// libtorch draws initial weights from its global generator; serialising model creation makes the
// initialisation a function of the trial's seed even when trials are created concurrently.
std::mutex creation_mutex;

uint64_t mix(uint64_t x) {  // splitmix64 finaliser
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

}  // namespace

struct ExpDataset {
    torch::Tensor images;  // n×c×h×w float32, CPU
    torch::Tensor labels;  // n int64, CPU
};

struct ExpModel {
    torch::nn::Sequential net{nullptr};
    at::Generator dropout_generator;
    torch::Device device{torch::kCPU};
    std::vector<std::pair<std::string, torch::Tensor>> state;  // state_dict order
};

struct ExpOptimizer {
    std::unique_ptr<torch::optim::Optimizer> optimizer;
    int32_t kind = 0;
};

struct ExpTensorList {
    std::vector<torch::Tensor> tensors;
    std::vector<std::string> names;  // empty, or one per tensor
};

namespace {

// PyTorch's state_dict order: a module's own parameters, then its own buffers, then its children's, depth first.
std::vector<std::pair<std::string, torch::Tensor>> state_in_torch_order(const torch::nn::Sequential& net) {
    std::vector<std::pair<std::string, torch::Tensor>> state;
    for (const auto& item : net->named_modules(/*name_prefix=*/"", /*include_self=*/true)) {
        const auto prefix = item.key().empty() ? std::string() : item.key() + ".";
        for (const auto& p : item.value()->named_parameters(/*recurse=*/false)) state.emplace_back(prefix + p.key(), p.value());
        for (const auto& b : item.value()->named_buffers(/*recurse=*/false)) state.emplace_back(prefix + b.key(), b.value());
    }
    return state;
}

torch::Tensor& state_at(ExpModel* model, int32_t index) {
    require(model != nullptr, "model handle is null");
    require(index >= 0 && index < static_cast<int32_t>(model->state.size()),
            "state index " + std::to_string(index) + " is out of range");
    return model->state[static_cast<size_t>(index)].second;
}

std::string state_key(const torch::Tensor& parameter) { return c10::guts::to_string(parameter.unsafeGetTensorImpl()); }

torch::Tensor cpu_copy(const torch::Tensor& t) { return t.detach().to(torch::kCPU).contiguous().clone(); }

template <typename Options>
void set_lr(torch::optim::Optimizer& optimizer, double lr) {
    for (auto& group : optimizer.param_groups()) static_cast<Options&>(group.options()).lr(lr);
}

}  // namespace

extern "C" {

char* Exp_error_take(void) {
    if (last_error.empty()) return nullptr;
    char* copy = static_cast<char*>(std::malloc(last_error.size() + 1));
    if (copy) std::memcpy(copy, last_error.c_str(), last_error.size() + 1);
    last_error.clear();
    return copy;
}

void Exp_string_free(char* text) { std::free(text); }

int Exp_runtime_set_threads(int32_t threads) {
    EXP_TRY
    require(threads > 0, "threads must be positive");
    torch::set_num_threads(threads);
    return 0;
    EXP_CATCH(-1)
}

int32_t Exp_runtime_get_threads(void) {
    EXP_TRY
    return static_cast<int32_t>(torch::get_num_threads());
    EXP_CATCH(-1)
}

int32_t Exp_runtime_cuda_device_count(void) {
    EXP_TRY
    return torch::cuda::is_available() ? static_cast<int32_t>(torch::cuda::device_count()) : 0;
    EXP_CATCH(-1)
}

const char* Exp_runtime_describe(void) {
    static const std::string description = std::string("libtorch ") + TORCH_VERSION +
                                           (torch::cuda::is_available() ? " (CUDA)" : " (CPU)");
    return description.c_str();
}

ExpDataset* Exp_dataset_create(const float* pixels, const int32_t* labels, int64_t n, int64_t c, int64_t h, int64_t w) {
    EXP_TRY
    require(n >= 0 && c > 0 && h > 0 && w > 0, "dataset dimensions must be positive");
    require(n == 0 || (pixels != nullptr && labels != nullptr), "dataset buffers are null");
    auto dataset = std::make_unique<ExpDataset>();
    dataset->images = n == 0 ? torch::empty({0, c, h, w})
                             : torch::from_blob(const_cast<float*>(pixels), {n, c, h, w}, torch::kFloat32).clone();
    dataset->labels = n == 0 ? torch::empty({0}, torch::kInt64)
                             : torch::from_blob(const_cast<int32_t*>(labels), {n}, torch::kInt32).to(torch::kInt64);
    return dataset.release();
    EXP_CATCH(nullptr)
}

void Exp_dataset_dispose(ExpDataset* dataset) { delete dataset; }

ExpModel* Exp_model_create(const char* spec, int32_t device_kind, int32_t device_index, uint64_t seed) {
    EXP_TRY
    require(spec != nullptr, "model spec is null");
    auto model = std::make_unique<ExpModel>();
    if (device_kind == 1) {
        require(torch::cuda::is_available(), "CUDA was requested but this libtorch has no usable CUDA device");
        model->device = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(device_index));
    } else {
        require(device_kind == 0, "unknown device kind " + std::to_string(device_kind));
    }
    model->dropout_generator = at::make_generator<at::CPUGeneratorImpl>(mix(seed));
    {
        std::lock_guard<std::mutex> lock(creation_mutex);
        torch::manual_seed(seed);
        model->net = exp_native::build_sequential(spec, model->dropout_generator);
    }
    model->net->to(model->device);
    model->state = state_in_torch_order(model->net);
    return model.release();
    EXP_CATCH(nullptr)
}

void Exp_model_dispose(ExpModel* model) { delete model; }

int32_t Exp_model_state_count(ExpModel* model) {
    EXP_TRY
    require(model != nullptr, "model handle is null");
    return static_cast<int32_t>(model->state.size());
    EXP_CATCH(-1)
}

int Exp_model_state_info(ExpModel* model, int32_t index, char* name, int32_t name_capacity, int64_t* shape,
                         int32_t shape_capacity, int32_t* ndim, int32_t* dtype) {
    EXP_TRY
    const auto& tensor = state_at(model, index);
    const auto& key = model->state[static_cast<size_t>(index)].first;
    require(name != nullptr && name_capacity > static_cast<int32_t>(key.size()), "name buffer too small for '" + key + "'");
    std::memcpy(name, key.c_str(), key.size() + 1);
    require(shape_capacity >= tensor.dim(), "shape buffer too small");
    for (int64_t d = 0; d < tensor.dim(); ++d) shape[d] = tensor.size(d);
    *ndim = static_cast<int32_t>(tensor.dim());
    *dtype = tensor.scalar_type() == torch::kInt64 ? 1 : 0;
    require(tensor.scalar_type() == torch::kInt64 || tensor.scalar_type() == torch::kFloat32,
            "state tensor '" + key + "' has an unsupported dtype");
    return 0;
    EXP_CATCH(-1)
}

int Exp_model_state_read(ExpModel* model, int32_t index, void* destination, int64_t bytes) {
    EXP_TRY
    auto cpu = state_at(model, index).detach().to(torch::kCPU).contiguous();
    require(static_cast<int64_t>(cpu.nbytes()) == bytes,
            "state tensor '" + model->state[static_cast<size_t>(index)].first + "' has " + std::to_string(cpu.nbytes()) +
                " bytes, buffer has " + std::to_string(bytes));
    std::memcpy(destination, cpu.data_ptr(), static_cast<size_t>(bytes));
    return 0;
    EXP_CATCH(-1)
}

int Exp_model_state_write(ExpModel* model, int32_t index, const void* source, int64_t bytes) {
    EXP_TRY
    auto& tensor = state_at(model, index);
    require(static_cast<int64_t>(tensor.nbytes()) == bytes,
            "state tensor '" + model->state[static_cast<size_t>(index)].first + "' has " + std::to_string(tensor.nbytes()) +
                " bytes, buffer has " + std::to_string(bytes));
    auto from = torch::from_blob(const_cast<void*>(source), tensor.sizes(), tensor.scalar_type());
    torch::NoGradGuard no_grad;
    tensor.copy_(from);
    return 0;
    EXP_CATCH(-1)
}

// Runs the layers in evaluation mode, keeping the outputs of capture_layers; through_output runs them all and adds the
// model's output, else they stop after the last captured layer (what comes after it cannot change the captured outputs).
static ExpTensorList* forward_capturing(ExpModel* model, const float* input, const int64_t* shape, int32_t ndim,
                                        const int32_t* capture_layers, int32_t capture_count, bool through_output) {
    require(model != nullptr && input != nullptr && shape != nullptr, "null argument to forward");
    std::vector<int64_t> sizes(shape, shape + ndim);
    auto x = torch::from_blob(const_cast<float*>(input), sizes, torch::kFloat32).to(model->device);
    std::vector<int32_t> wanted(capture_layers, capture_layers + capture_count);
    for (auto index : wanted)
        require(index >= 0 && index < static_cast<int32_t>(model->net->size()),
                "layer " + std::to_string(index) + " does not exist; the model has layers 0.." + std::to_string(model->net->size() - 1));
    const int32_t last = through_output || wanted.empty()
        ? static_cast<int32_t>(model->net->size()) - 1
        : *std::max_element(wanted.begin(), wanted.end());
    std::vector<torch::Tensor> captured(wanted.size());
    model->net->eval();
    c10::InferenceMode inference;
    int32_t index = 0;
    for (auto& layer : *model->net) {
        if (index > last) break;
        x = layer.forward(x);
        for (size_t i = 0; i < wanted.size(); ++i)
            if (wanted[i] == index) captured[i] = x.to(torch::kCPU).contiguous();
        ++index;
    }
    auto list = std::make_unique<ExpTensorList>();
    list->tensors = std::move(captured);
    if (through_output) list->tensors.push_back(x.to(torch::kCPU).contiguous());
    return list.release();
}

ExpTensorList* Exp_model_forward(ExpModel* model, const float* input, const int64_t* shape, int32_t ndim,
                                 const int32_t* capture_layers, int32_t capture_count) {
    EXP_TRY
    return forward_capturing(model, input, shape, ndim, capture_layers, capture_count, true);
    EXP_CATCH(nullptr)
}

ExpTensorList* Exp_model_capture(ExpModel* model, const float* input, const int64_t* shape, int32_t ndim,
                                 const int32_t* capture_layers, int32_t capture_count) {
    EXP_TRY
    require(capture_count > 0, "capture needs at least one layer");
    return forward_capturing(model, input, shape, ndim, capture_layers, capture_count, false);
    EXP_CATCH(nullptr)
}

ExpTensorList* Exp_model_class_gradients(ExpModel* model, const float* input, const int64_t* shape, int32_t ndim,
                                         int32_t layer, const int32_t* classes, int32_t class_count) {
    EXP_TRY
    require(model != nullptr && input != nullptr && shape != nullptr && classes != nullptr, "null argument to class gradients");
    require(ndim >= 2, "the input must be a batch (n×c×h×w or n×f)");
    const auto layers = static_cast<int32_t>(model->net->size());
    require(layer >= -1 && layer < layers,
            "layer " + std::to_string(layer) + " does not exist; the model has layers 0.." + std::to_string(layers - 1));
    std::vector<int64_t> sizes(shape, shape + ndim);
    require(class_count == sizes[0], "one class per sample is needed: the batch has " + std::to_string(sizes[0]) +
                                         " samples, " + std::to_string(class_count) + " classes were given");

    // Restores the caller's mode however this call ends: training must resume exactly as it would have.
    struct ModeGuard {
        torch::nn::Sequential net;
        bool was_training;
        ~ModeGuard() { net->train(was_training); }
    } mode{model->net, model->net->is_training()};
    model->net->eval();
    torch::AutoGradMode with_autograd(true);

    auto x = torch::from_blob(const_cast<float*>(input), sizes, torch::kFloat32).to(model->device).clone().requires_grad_(true);
    torch::Tensor activation;
    auto y = x;
    int32_t index = 0;
    for (auto& module : *model->net) {
        y = module.forward(y);
        if (index == layer) activation = y;
        ++index;
    }
    require(y.dim() == 2, "the model's output must be batch×classes to take a class score's gradient");
    const auto class_total = y.size(1);
    std::vector<int64_t> chosen(static_cast<size_t>(class_count));
    for (int32_t i = 0; i < class_count; ++i) {
        require(classes[i] >= 0 && classes[i] < class_total,
                "class " + std::to_string(classes[i]) + " does not exist; the model has " + std::to_string(class_total) +
                    " classes (0.." + std::to_string(class_total - 1) + ")");
        chosen[static_cast<size_t>(i)] = classes[i];
    }
    auto targets = torch::tensor(chosen, torch::kInt64).to(model->device).view({class_count, 1});
    auto score = y.gather(1, targets).sum();

    std::vector<torch::Tensor> wrt{x};
    if (activation.defined()) wrt.push_back(activation);
    auto gradients = torch::autograd::grad({score}, wrt, /*grad_outputs=*/{}, /*retain_graph=*/false,
                                           /*create_graph=*/false, /*allow_unused=*/true);

    auto list = std::make_unique<ExpTensorList>();
    auto add = [&](const std::string& name, const torch::Tensor& tensor, const torch::Tensor& like) {
        list->names.push_back(name);
        // An unused input has no gradient: its gradient is zero, not missing.
        list->tensors.push_back(tensor.defined() ? cpu_copy(tensor) : torch::zeros_like(like.detach().to(torch::kCPU)));
    };
    add("logits", y, y);
    add("input_gradient", gradients[0], x);
    if (activation.defined()) {
        add("activation", activation, activation);
        add("activation_gradient", gradients[1], activation);
    }
    return list.release();
    EXP_CATCH(nullptr)
}

int Exp_model_predict_splits(ExpModel* model, ExpDataset* const* datasets, int32_t count, int64_t batch_size,
                             float* const* logits, const int64_t* capacities) {
    EXP_TRY
    require(model != nullptr && (count == 0 || (datasets != nullptr && logits != nullptr && capacities != nullptr)), "null argument to predict");
    require(count >= 0, "split count must not be negative");
    require(batch_size > 0, "batch size must be positive");
    model->net->eval();
    c10::InferenceMode inference;
    for (int32_t split = 0; split < count; ++split) {
        const auto* dataset = datasets[split];
        require(dataset != nullptr, "null dataset handle to predict (split " + std::to_string(split) + ")");
        const auto n = dataset->images.size(0);
        int64_t written = 0;
        for (int64_t start = 0; start < n; start += batch_size) {
            auto batch = dataset->images.slice(0, start, std::min(n, start + batch_size)).to(model->device);
            auto out = model->net->forward(batch).to(torch::kCPU).contiguous();
            require(out.dim() == 2, "model output must be batch×classes");
            require(written + out.numel() <= capacities[split], "logits buffer too small");
            std::memcpy(logits[split] + written, out.data_ptr<float>(), static_cast<size_t>(out.numel()) * sizeof(float));
            written += out.numel();
        }
    }
    return 0;
    EXP_CATCH(-1)
}

ExpOptimizer* Exp_optimizer_create(ExpModel* model, int32_t kind, double learning_rate, double momentum,
                                   double weight_decay, double beta1, double beta2, double epsilon, int32_t nesterov) {
    EXP_TRY
    require(model != nullptr, "model handle is null");
    require(learning_rate > 0, "learning rate must be positive");
    auto result = std::make_unique<ExpOptimizer>();
    result->kind = kind;
    auto parameters = model->net->parameters();
    if (kind == 0) {
        result->optimizer = std::make_unique<torch::optim::Adam>(
            parameters, torch::optim::AdamOptions(learning_rate).betas({beta1, beta2}).eps(epsilon).weight_decay(weight_decay));
    } else if (kind == 1) {
        result->optimizer = std::make_unique<torch::optim::SGD>(
            parameters, torch::optim::SGDOptions(learning_rate).momentum(momentum).weight_decay(weight_decay).nesterov(nesterov != 0));
    } else {
        throw std::invalid_argument("unknown optimizer kind " + std::to_string(kind));
    }
    return result.release();
    EXP_CATCH(nullptr)
}

void Exp_optimizer_dispose(ExpOptimizer* optimizer) { delete optimizer; }

int Exp_optimizer_set_learning_rate(ExpOptimizer* optimizer, double learning_rate) {
    EXP_TRY
    require(optimizer != nullptr, "optimizer handle is null");
    require(learning_rate > 0, "learning rate must be positive");
    if (optimizer->kind == 0)
        set_lr<torch::optim::AdamOptions>(*optimizer->optimizer, learning_rate);
    else
        set_lr<torch::optim::SGDOptions>(*optimizer->optimizer, learning_rate);
    return 0;
    EXP_CATCH(-1)
}

int64_t Exp_train_batches(ExpModel* model, ExpOptimizer* optimizer, ExpDataset* dataset, int64_t batch_size,
                          uint64_t order_seed, int32_t shuffle, int64_t first_batch, int64_t batch_count,
                          ExpTrainStats* stats) {
    EXP_TRY
    require(model != nullptr && optimizer != nullptr && dataset != nullptr && stats != nullptr, "null argument to train");
    require(batch_size > 0, "batch size must be positive");
    const auto n = dataset->images.size(0);
    const auto total_batches = (n + batch_size - 1) / batch_size;
    require(first_batch >= 0, "first batch must not be negative");
    auto order = shuffle != 0
                     ? torch::randperm(n, at::make_generator<at::CPUGeneratorImpl>(mix(order_seed)), torch::kInt64)
                     : torch::arange(n, torch::kInt64);
    model->net->train();
    int64_t done = 0;
    for (int64_t b = first_batch; b < total_batches && done < batch_count; ++b) {
        auto index = order.slice(0, b * batch_size, std::min(n, (b + 1) * batch_size));
        auto x = dataset->images.index_select(0, index).to(model->device);
        auto y = dataset->labels.index_select(0, index).to(model->device);
        model->dropout_generator.set_current_seed(mix(order_seed ^ mix(static_cast<uint64_t>(b) + 1)));
        optimizer->optimizer->zero_grad();
        auto logits = model->net->forward(x);
        auto loss = torch::nn::functional::cross_entropy(logits, y);
        const auto loss_value = loss.item<double>();
        if (!std::isfinite(loss_value)) {
            stats->non_finite = 1;
            break;
        }
        loss.backward();
        optimizer->optimizer->step();
        const auto count = x.size(0);
        stats->loss_sum += loss_value * static_cast<double>(count);
        stats->correct += logits.argmax(1).eq(y).sum().item<int64_t>();
        stats->samples += count;
        stats->batches += 1;
        ++done;
    }
    return done;
    EXP_CATCH(-1)
}

ExpTensorList* Exp_optimizer_state_export(ExpOptimizer* optimizer, ExpModel* model) {
    EXP_TRY
    require(optimizer != nullptr && model != nullptr, "null argument to optimizer state export");
    auto list = std::make_unique<ExpTensorList>();
    auto add = [&](const std::string& name, torch::Tensor tensor) {
        list->names.push_back(name);
        list->tensors.push_back(std::move(tensor));
    };
    auto& state = optimizer->optimizer->state();
    for (const auto& parameter : model->net->named_parameters(/*recurse=*/true)) {
        auto found = state.find(state_key(parameter.value()));
        if (found == state.end()) continue;
        const auto& name = parameter.key();
        if (optimizer->kind == 0) {
            auto& adam = static_cast<torch::optim::AdamParamState&>(*found->second);
            add(name + ".exp_avg", cpu_copy(adam.exp_avg()));
            add(name + ".exp_avg_sq", cpu_copy(adam.exp_avg_sq()));
            add(name + ".step", torch::tensor(adam.step(), torch::kInt64).reshape({}));
        } else {
            auto& sgd = static_cast<torch::optim::SGDParamState&>(*found->second);
            if (sgd.momentum_buffer().defined()) add(name + ".momentum_buffer", cpu_copy(sgd.momentum_buffer()));
        }
    }
    return list.release();
    EXP_CATCH(nullptr)
}

int Exp_optimizer_state_import(ExpOptimizer* optimizer, ExpModel* model, const char* name, const void* data, int64_t bytes,
                               int32_t dtype, const int64_t* shape, int32_t ndim) {
    EXP_TRY
    require(optimizer != nullptr && model != nullptr && name != nullptr && data != nullptr, "null argument to optimizer state import");
    const std::string full(name);
    const auto dot = full.rfind('.');
    require(dot != std::string::npos, "optimizer state name '" + full + "' has no field");
    const auto parameter_name = full.substr(0, dot), field = full.substr(dot + 1);
    auto parameters = model->net->named_parameters(/*recurse=*/true);
    auto* parameter = parameters.find(parameter_name);
    require(parameter != nullptr, "optimizer state '" + full + "' names no parameter of the model");
    std::vector<int64_t> sizes(shape, shape + ndim);
    auto source = torch::from_blob(const_cast<void*>(data), sizes, dtype == 1 ? torch::kInt64 : torch::kFloat32);
    require(static_cast<int64_t>(source.nbytes()) == bytes, "optimizer state '" + full + "': shape and byte count disagree");
    auto value = source.clone().to(parameter->device());
    auto& state = optimizer->optimizer->state();
    const auto key = state_key(*parameter);
    if (optimizer->kind == 0) {
        if (state.find(key) == state.end()) {
            auto fresh = std::make_unique<torch::optim::AdamParamState>();
            fresh->step(0);
            fresh->exp_avg(torch::zeros_like(*parameter, torch::MemoryFormat::Preserve));
            fresh->exp_avg_sq(torch::zeros_like(*parameter, torch::MemoryFormat::Preserve));
            state[key] = std::move(fresh);
        }
        auto& adam = static_cast<torch::optim::AdamParamState&>(*state[key]);
        if (field == "exp_avg") adam.exp_avg(value);
        else if (field == "exp_avg_sq") adam.exp_avg_sq(value);
        else if (field == "step") adam.step(value.item<int64_t>());
        else throw std::invalid_argument("Adam has no state field '" + field + "'");
    } else {
        require(field == "momentum_buffer", "SGD has no state field '" + field + "'");
        if (state.find(key) == state.end()) state[key] = std::make_unique<torch::optim::SGDParamState>();
        static_cast<torch::optim::SGDParamState&>(*state[key]).momentum_buffer(value);
    }
    return 0;
    EXP_CATCH(-1)
}

int32_t Exp_tensors_count(ExpTensorList* list) {
    EXP_TRY
    require(list != nullptr, "tensor list handle is null");
    return static_cast<int32_t>(list->tensors.size());
    EXP_CATCH(-1)
}

int Exp_tensors_shape(ExpTensorList* list, int32_t index, int64_t* shape, int32_t shape_capacity, int32_t* ndim) {
    EXP_TRY
    require(list != nullptr && index >= 0 && index < static_cast<int32_t>(list->tensors.size()), "tensor index out of range");
    const auto& t = list->tensors[static_cast<size_t>(index)];
    require(shape_capacity >= t.dim(), "shape buffer too small");
    for (int64_t d = 0; d < t.dim(); ++d) shape[d] = t.size(d);
    *ndim = static_cast<int32_t>(t.dim());
    return 0;
    EXP_CATCH(-1)
}

int Exp_tensors_read(ExpTensorList* list, int32_t index, float* destination, int64_t count) {
    EXP_TRY
    require(list != nullptr && index >= 0 && index < static_cast<int32_t>(list->tensors.size()), "tensor index out of range");
    const auto& t = list->tensors[static_cast<size_t>(index)];
    require(t.numel() == count, "tensor has " + std::to_string(t.numel()) + " elements, buffer has " + std::to_string(count));
    std::memcpy(destination, t.data_ptr<float>(), static_cast<size_t>(count) * sizeof(float));
    return 0;
    EXP_CATCH(-1)
}

int Exp_tensors_describe(ExpTensorList* list, int32_t index, char* name, int32_t name_capacity, int32_t* dtype) {
    EXP_TRY
    require(list != nullptr && index >= 0 && index < static_cast<int32_t>(list->tensors.size()), "tensor index out of range");
    const auto text = list->names.empty() ? std::string() : list->names[static_cast<size_t>(index)];
    require(name != nullptr && name_capacity > static_cast<int32_t>(text.size()), "name buffer too small for '" + text + "'");
    std::memcpy(name, text.c_str(), text.size() + 1);
    *dtype = list->tensors[static_cast<size_t>(index)].scalar_type() == torch::kInt64 ? 1 : 0;
    return 0;
    EXP_CATCH(-1)
}

int Exp_tensors_read_bytes(ExpTensorList* list, int32_t index, void* destination, int64_t bytes) {
    EXP_TRY
    require(list != nullptr && index >= 0 && index < static_cast<int32_t>(list->tensors.size()), "tensor index out of range");
    const auto& t = list->tensors[static_cast<size_t>(index)];
    require(static_cast<int64_t>(t.nbytes()) == bytes, "tensor has " + std::to_string(t.nbytes()) + " bytes, buffer has " + std::to_string(bytes));
    std::memcpy(destination, t.data_ptr(), static_cast<size_t>(bytes));
    return 0;
    EXP_CATCH(-1)
}

void Exp_tensors_dispose(ExpTensorList* list) { delete list; }

}  // extern "C"
