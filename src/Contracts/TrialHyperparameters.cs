using System.Text.Json;
using System.Text.Json.Serialization;

namespace Experiments.Contracts;

/// <summary>
/// A trial's training settings as stored in trials.hyperparameters (jsonb, snake_case keys): written by the coordinator
/// from a sweep (or by `train`), read back by the worker that runs the trial, and queried by users with SQL. Input is
/// the image shape the model was planned for; Limit (null: all) the number of training images taken before the
/// validation hold-out.
/// </summary>
public sealed record TrialHyperparameters(
    [property: JsonPropertyName("optimizer")] string Optimizer,
    [property: JsonPropertyName("lr")] double LearningRate,
    [property: JsonPropertyName("weight_decay")] double WeightDecay,
    [property: JsonPropertyName("lr_decay")] double LrDecay,
    [property: JsonPropertyName("momentum")] double Momentum,
    [property: JsonPropertyName("batch_size")] int BatchSize,
    [property: JsonPropertyName("epochs")] int Epochs,
    [property: JsonPropertyName("val_split")] double ValSplit,
    [property: JsonPropertyName("input")] int[]? Input = null,
    [property: JsonPropertyName("limit")] int? Limit = null)
{
    /// <summary>
    /// Whether the trial trained on only the first <see cref="Limit"/> training images (validation then held out of
    /// those), rather than the whole training set.
    /// </summary>
    [JsonIgnore]
    public bool IsLimited => Limit is > 0;

    public string ToJson() => JsonSerializer.Serialize(this);

    public static TrialHyperparameters FromJson(string json) =>
        JsonSerializer.Deserialize<TrialHyperparameters>(json)
        ?? throw new FormatException("the trial's hyperparameters are empty");
}
