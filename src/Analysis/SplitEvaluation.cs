using System.Text.Json;
using System.Text.Json.Serialization;

namespace Experiments.Analysis;

/// <summary>
/// Everything measured on one split at one epoch, in the form stored as JSON (for example in an
/// <c>epoch_artifacts</c> jsonb column): the classification metrics and the one-vs-rest ROC curves.
/// </summary>
/// <remarks>
/// Size: the confusion matrix is k² integers, and each ROC curve keeps only its corners (see <see cref="RocCurve"/>):
/// roughly twice the number of alternations between positive and negative rows in score order, so a good model
/// gives a few dozen points per class and a middling one up to about 2·min(positives, negatives). Measured with
/// sklearn on 10 000 rows and 10 classes: 10 points per curve at 99.9 % accuracy, 924 at 67 %, 1 794 at 20 %, i.e.
/// at worst some 50 000 doubles (under 1 MB of JSON) per split and epoch. The curves are stored whole, as sklearn
/// draws them; thinning them further would break the point-for-point agreement the tests check. Doubles
/// are written in their shortest round-trip form, so a value read back is bit for bit the one written.
/// </remarks>
public sealed record SplitEvaluation(ClassificationMetrics Classification, OneVsRestRoc Roc)
{
    /// <summary>
    /// snake_case names (convenient from SQL: <c>metrics->'classification'->>'macro_f1'</c>), and NaN written as the
    /// string <c>"NaN"</c>, because JSON (and jsonb) has no NaN number and an undefined AUC is NaN.
    /// </summary>
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Both measurements from logits (row-major n×k) and labels; the ROC uses the softmax of the logits.</summary>
    public static SplitEvaluation FromLogits(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int classes) =>
        new(ClassificationMetrics.From(logits, labels, classes), OneVsRestRoc.FromLogits(logits, labels, classes));

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public static SplitEvaluation FromJson(string json) =>
        JsonSerializer.Deserialize<SplitEvaluation>(json, JsonOptions)
        ?? throw new JsonException("the stored epoch metrics are null");
}
