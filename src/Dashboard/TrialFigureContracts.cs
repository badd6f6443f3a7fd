namespace Experiments.Dashboard;

/// <summary>
/// One split's classification metrics at one epoch, as the worker stored them (the "classification" artifact that
/// <c>viz confusion</c>, <c>viz roc</c> and <c>results show</c> read). Epochs lists every epoch with metrics of this split.
/// Confusion has a row per true class and a column per predicted class (image counts); fractions are 0–1.
/// </summary>
public sealed record ClassificationView(
    long Trial, string Split, int Epoch, IReadOnlyList<int> Epochs, IReadOnlyList<string> Classes, int Images, double Accuracy,
    IReadOnlyList<IReadOnlyList<int>> Confusion, IReadOnlyList<ClassScores> PerClass, double MacroPrecision, double MacroRecall, double MacroF1, double? MacroAuc);

/// <summary>One class's one-vs-rest precision, recall, F1 (0–1), support (images of the class) and ROC AUC (null when undefined).</summary>
public sealed record ClassScores(int Class, string Name, double Precision, double Recall, double F1, int Support, double? Auc);

/// <summary>
/// What the inside-the-network views can choose from: the layers with feature maps (C×H×W output), the layer Grad-CAM
/// explains by default (null when none applies, with why), whether CAM applies (else why not), the class names and how
/// many images each split holds.
/// </summary>
public sealed record NetworkView(
    IReadOnlyList<MapLayer> MapLayers, int? GradCamLayer, string? GradCamNote, string? CamNote, IReadOnlyList<string> Classes, int TestImages, int TrainImages);

/// <summary>A layer whose output is feature maps: its index in the layer list, what it is, and its output shape (channels × height × width).</summary>
public sealed record MapLayer(int Index, string Description, IReadOnlyList<int> Shape);

/// <summary>
/// Weight health over the stored epochs (<c>viz health</c>'s report without the activation checks): per weight tensor
/// its chart's address; the dead filters and the non-finite weights found, each with its epochs.
/// </summary>
public sealed record HealthView(IReadOnlyList<int> Epochs, double DeadFraction, IReadOnlyList<HealthLayer> Layers, IReadOnlyList<string> Problems);

/// <summary>One weight tensor's health: its name, kind, filters, and how many are dead or hold NaN/∞ at the last epoch.</summary>
public sealed record HealthLayer(string Tensor, string Kind, int Filters, int DeadFilters, int NonFiniteEpochs);

/// <summary>
/// The misclassified gallery of one split at one epoch: how many of its images the model gets wrong (its predictions
/// recomputed from the epoch's snapshot), and the first of them by index, each with its true and predicted class.
/// </summary>
public sealed record MisclassifiedView(int Epoch, string Split, int Images, int Wrong, IReadOnlyList<string> Classes, IReadOnlyList<MisclassifiedImage> Shown);

/// <summary>One misclassified image: its index in the split, its true class and the predicted one.</summary>
public sealed record MisclassifiedImage(int Index, int True, int Predicted);
