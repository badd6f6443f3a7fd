// The C ABI of the training engine. Coarse by design: one call trains many batches, evaluates a whole
// split or runs one forward pass, so no hot loop crosses P/Invoke.
//
// Conventions (modelled on TorchSharp's native boundary):
// - Names are Exp_<Area>_<op>. Every create has a matching _dispose.
// - Handles are opaque pointers. Functions returning a handle return NULL on failure; functions returning
//   int return a negative value on failure. After a failure, Exp_error_take() returns the message (owned
//   by the caller, free it with Exp_string_free). Every export catches everything, so no C++ exception
//   ever reaches .NET.
#pragma once
#include <stdint.h>

#if defined(_WIN32)
#define EXPORT_API __declspec(dllexport)
#else
#define EXPORT_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ExpModel ExpModel;
typedef struct ExpOptimizer ExpOptimizer;
typedef struct ExpDataset ExpDataset;
typedef struct ExpTensorList ExpTensorList;

// ---- errors -------------------------------------------------------------------------------------
EXPORT_API char* Exp_error_take(void);
EXPORT_API void Exp_string_free(char* text);

// ---- runtime ------------------------------------------------------------------------------------
EXPORT_API int Exp_runtime_set_threads(int32_t threads);
EXPORT_API int32_t Exp_runtime_get_threads(void);
EXPORT_API int32_t Exp_runtime_cuda_device_count(void);
/// A static string such as "libtorch 1.13.1 (CPU)". Not to be freed.
EXPORT_API const char* Exp_runtime_describe(void);

// ---- datasets (a labelled split held in native memory) ------------------------------------------
/// Copies n samples of c×h×w floats and their int32 labels.
EXPORT_API ExpDataset* Exp_dataset_create(const float* pixels, const int32_t* labels, int64_t n, int64_t c, int64_t h, int64_t w);
EXPORT_API void Exp_dataset_dispose(ExpDataset* dataset);

// ---- models ------------------------------------------------------------------------------------
/// spec: one layer per line, `<type> key=value …`, as written by the C# NativeModelSpec encoder.
/// device_kind: 0 = CPU, 1 = CUDA (device_index chooses the GPU). seed fixes the initialisation.
EXPORT_API ExpModel* Exp_model_create(const char* spec, int32_t device_kind, int32_t device_index, uint64_t seed);
EXPORT_API void Exp_model_dispose(ExpModel* model);
/// State tensors (parameters and buffers) in PyTorch state_dict order.
EXPORT_API int32_t Exp_model_state_count(ExpModel* model);
/// dtype: 0 = float32, 1 = int64. Writes at most name_capacity bytes (NUL-terminated) and shape_capacity dims.
EXPORT_API int Exp_model_state_info(ExpModel* model, int32_t index, char* name, int32_t name_capacity,
                                    int64_t* shape, int32_t shape_capacity, int32_t* ndim, int32_t* dtype);
EXPORT_API int Exp_model_state_read(ExpModel* model, int32_t index, void* destination, int64_t bytes);
EXPORT_API int Exp_model_state_write(ExpModel* model, int32_t index, const void* source, int64_t bytes);

/// Evaluation-mode forward pass of one batch (n×c×h×w or n×f). Returns the outputs of the requested
/// top-level layers (by index, in request order) followed by the model's output.
EXPORT_API ExpTensorList* Exp_model_forward(ExpModel* model, const float* input, const int64_t* shape, int32_t ndim,
                                            const int32_t* capture_layers, int32_t capture_count);
/// As Exp_model_forward, but stops after the last of capture_layers (at least one) and returns only their outputs.
EXPORT_API ExpTensorList* Exp_model_capture(ExpModel* model, const float* input, const int64_t* shape, int32_t ndim,
                                            const int32_t* capture_layers, int32_t capture_count);
/// Gradients of one class score, for attribution (saliency, CAM, Grad-CAM). Runs an evaluation-mode forward pass
/// of a batch with autograd on; sample i's score is its pre-softmax logit of class classes[i] (one class per sample,
/// class_count = n). The samples do not interact in evaluation mode, so d(sum of scores)/d(sample i) is sample i's own
/// gradient. Returns, named: "logits" (n×classes), "input_gradient" (the input's shape), and when layer >= 0
/// "activation" (the output of top-level layer `layer`) and "activation_gradient" (the score's gradient with respect
/// to that output). Parameters get no .grad (torch::autograd::grad on the input and the activation only), running
/// statistics are not updated, and the model's training mode is restored, so later training is unaffected.
EXPORT_API ExpTensorList* Exp_model_class_gradients(ExpModel* model, const float* input, const int64_t* shape, int32_t ndim,
                                                    int32_t layer, const int32_t* classes, int32_t class_count);
/// Evaluation-mode logits of whole splits, several in one call (an epoch's train sample, validation and test): split i's
/// n_i×classes floats go to logits[i], which holds capacities[i] floats. Runs in inference mode (no autograd), each
/// split in batches of batch_size from its start, as if it were evaluated alone. The model is left in evaluation mode.
EXPORT_API int Exp_model_predict_splits(ExpModel* model, ExpDataset* const* datasets, int32_t count, int64_t batch_size,
                                        float* const* logits, const int64_t* capacities);

// ---- training ----------------------------------------------------------------------------------
/// kind: 0 = Adam, 1 = SGD (momentum, optional Nesterov). weight_decay is L2 as in torch.optim.
EXPORT_API ExpOptimizer* Exp_optimizer_create(ExpModel* model, int32_t kind, double learning_rate, double momentum,
                                              double weight_decay, double beta1, double beta2, double epsilon, int32_t nesterov);
EXPORT_API void Exp_optimizer_dispose(ExpOptimizer* optimizer);
EXPORT_API int Exp_optimizer_set_learning_rate(ExpOptimizer* optimizer, double learning_rate);

typedef struct ExpTrainStats {
    double loss_sum;      // sum over samples of the cross-entropy loss
    int64_t correct;      // samples whose arg-max logit equals the label
    int64_t samples;      // samples trained on
    int64_t batches;      // batches trained on
    int32_t non_finite;   // 1 when the loss became NaN or ±Inf; training stopped before stepping on it
} ExpTrainStats;

/// Trains batches [first_batch, first_batch + batch_count) of one epoch. The epoch's order is a
/// permutation drawn from order_seed (identity when shuffle = 0), and each batch's dropout masks come
/// from (order_seed, batch index), so an epoch is reproducible however it is split into calls.
/// Accumulates into *stats. Returns the number of batches trained (fewer when the epoch ends or the
/// loss stops being finite), or a negative value on error.
EXPORT_API int64_t Exp_train_batches(ExpModel* model, ExpOptimizer* optimizer, ExpDataset* dataset, int64_t batch_size,
                                     uint64_t order_seed, int32_t shuffle, int64_t first_batch, int64_t batch_count,
                                     ExpTrainStats* stats);

/// The optimizer's state as named tensors, so a trial can resume exactly where it stopped: for Adam
/// "<param>.exp_avg", "<param>.exp_avg_sq" and "<param>.step" (int64 scalar); for SGD "<param>.momentum_buffer".
/// Parameters the optimizer has not stepped yet have no entries.
EXPORT_API ExpTensorList* Exp_optimizer_state_export(ExpOptimizer* optimizer, ExpModel* model);
/// Sets one named state tensor (a name as exported; dtype 0 = float32, 1 = int64).
EXPORT_API int Exp_optimizer_state_import(ExpOptimizer* optimizer, ExpModel* model, const char* name, const void* data, int64_t bytes,
                                          int32_t dtype, const int64_t* shape, int32_t ndim);

// ---- tensor lists (results of a forward pass, exported state) ---------------------------------
EXPORT_API int32_t Exp_tensors_count(ExpTensorList* list);
/// Names are empty for forward-pass results. dtype: 0 = float32, 1 = int64.
EXPORT_API int Exp_tensors_describe(ExpTensorList* list, int32_t index, char* name, int32_t name_capacity, int32_t* dtype);
EXPORT_API int Exp_tensors_read_bytes(ExpTensorList* list, int32_t index, void* destination, int64_t bytes);
EXPORT_API int Exp_tensors_shape(ExpTensorList* list, int32_t index, int64_t* shape, int32_t shape_capacity, int32_t* ndim);
EXPORT_API int Exp_tensors_read(ExpTensorList* list, int32_t index, float* destination, int64_t count);
EXPORT_API void Exp_tensors_dispose(ExpTensorList* list);

#ifdef __cplusplus
}
#endif
