using System.Runtime.InteropServices;
using Experiments.Analysis;
using Experiments.Store;

namespace Experiments.Visualization.Tests.Support;

/// <summary>
/// A trial written straight into a real PostgreSQL with weights whose every value is known, so the figures drawn
/// from it can be checked by arithmetic:
/// <list type="bullet">
/// <item>"0.weight", a conv layer of 4 filters × 2 channels × 3×3: element k of filter f at epoch e is
/// (f + 1)·(e + 1)·0.1·Pattern(k), except that filter 2 is all zeros from epoch 2 on (a dead filter);</item>
/// <item>"2.weight", a linear layer 3 × 8, whose element 5 is NaN at epoch 3;</item>
/// <item>biases and an optimizer tensor, all finite;</item>
/// <item>epochs 0–3 with known losses, and test and validation classification artifacts of 6 known predictions.</item>
/// </list>
/// A third, wide trial (<see cref="WideTrialId"/>, another architecture, lr 3e-3 and weight decay 5e-4) has one linear
/// layer "0.weight" of <see cref="WideUnits"/> × 16 whose units <see cref="WideDeadUnits"/> are zero from epoch 2 and
/// whose unit <see cref="WideNaNUnit"/> holds a NaN at epoch 3: the summary view of a large layer must name exactly those.
/// </summary>
public sealed class CraftedTrial : Xunit.IAsyncLifetime
{
    public const int Filters = 4, Channels = 2, Kernel = 3, Epochs = 4, DeadFilter = 2, DeadFromEpoch = 2, NaNEpoch = 3, NaNIndex = 5;

    public LocalDatabase Database { get; } = new();
    public long TrialId { get; private set; }
    public long HealthyTrialId { get; private set; }
    public long WideTrialId { get; private set; }

    public const int WideUnits = 500, WideInputs = 16, WideNaNUnit = 42;
    public static readonly int[] WideDeadUnits = [7, 123, 499];

    /// <summary>Signed, varied and never all equal within a channel: −3 … 3.</summary>
    public static double Pattern(int k) => (k * 5 % 7) - 3;

    public static float ConvValue(int filter, int element, int epoch) =>
        filter == DeadFilter && epoch >= DeadFromEpoch ? 0f : (float)((filter + 1) * (epoch + 1) * 0.1 * Pattern(element));

    public static double TrainLoss(int epoch) => 2.0 / (epoch + 1);
    public static double ValidationLoss(int epoch) => 2.2 / (epoch + 1) + 0.05;

    /// <summary>Labels 0,0,1,1,2,2 predicted as 0,1,1,1,2,0: the confusion matrix is [[1,1,0],[0,2,0],[1,0,1]].</summary>
    public static readonly int[] Labels = [0, 0, 1, 1, 2, 2];
    public static readonly int[] Predictions = [0, 1, 1, 1, 2, 0];

    public async Task InitializeAsync()
    {
        await Database.InitializeAsync();
        await using var store = await Database.OpenAsync();
        TrialId = await Create(store, withProblems: true);
        HealthyTrialId = await Create(store, withProblems: false);
        WideTrialId = await CreateWide(store);
    }

    private static async Task<long> CreateWide(ResultsStore store)
    {
        var id = await store.CreateTrialAsync(new TrialDefinition(null, "wide-crafted", """{"name":"wide-crafted"}""", "crafted", """{"lr":0.003,"weight_decay":0.0005}""", 7));
        for (var epoch = 0; epoch < Epochs; epoch++)
        {
            var weights = new float[WideUnits * WideInputs];
            for (var i = 0; i < weights.Length; i++)
            {
                var unit = i / WideInputs;
                weights[i] = WideDeadUnits.Contains(unit) && epoch >= DeadFromEpoch ? 0f : (float)(0.01 * (unit % 17 + 1) * Pattern(i % WideInputs) / (epoch + 1));
            }
            if (epoch == NaNEpoch) weights[WideNaNUnit * WideInputs + 3] = float.NaN;
            var figures = epoch == 0 ? null : new SplitFigures(TrainLoss(epoch) / 2, 0.86 + 0.01 * epoch, 100);
            var record = new EpochRecord(epoch, 3e-3, figures, new SplitFigures(ValidationLoss(epoch) / 2, 0.85 + 0.01 * epoch, 20), null, 1.0, 100);
            await store.WriteEpochAsync(id, record, [Tensor("0.weight", [WideUnits, WideInputs], weights)], []);
        }
        return id;
    }

    private static async Task<long> Create(ResultsStore store, bool withProblems)
    {
        var id = await store.CreateTrialAsync(new TrialDefinition(null, "crafted", """{"name":"crafted"}""", "crafted", """{"lr":0.001}""", 7));
        for (var epoch = 0; epoch < Epochs; epoch++)
        {
            var conv = new float[Filters * Channels * Kernel * Kernel];
            for (var f = 0; f < Filters; f++)
                for (var k = 0; k < Channels * Kernel * Kernel; k++)
                    conv[f * Channels * Kernel * Kernel + k] = withProblems ? ConvValue(f, k, epoch) : ConvValue(0, k, epoch) * (f + 1);
            var linear = new float[3 * 8];
            for (var i = 0; i < linear.Length; i++) linear[i] = 0.05f * (i % 8 - 3.5f) * (i / 8 + 1);
            if (withProblems && epoch == NaNEpoch) linear[NaNIndex] = float.NaN;
            TensorSnapshot[] snapshot =
            [
                Tensor("0.weight", [Filters, Channels, Kernel, Kernel], conv),
                Tensor("0.bias", [Filters], [0.1f, 0.2f, 0.3f, 0.4f]),
                Tensor("2.weight", [3, 8], linear),
                Tensor("2.bias", [3], [0f, 0f, 0f]),
                Tensor("optimizer/0.weight.exp_avg", [Filters, Channels, Kernel, Kernel], new float[conv.Length]),
            ];
            var figures = epoch == 0 ? null : new SplitFigures(TrainLoss(epoch), 0.5 + 0.1 * epoch, 100);
            var record = new EpochRecord(epoch, 1e-3, figures, new SplitFigures(ValidationLoss(epoch), 0.4 + 0.1 * epoch, 20),
                new SplitFigures(1.0, 4.0 / 6, 6), 1.0, 100);
            var evaluation = SplitEvaluation.FromLogits(Logits(), Labels, 3).ToJson();
            await store.WriteEpochAsync(id, record, snapshot,
                [new EpochArtifact("val", "classification", evaluation), new EpochArtifact("test", "classification", evaluation)]);
        }
        return id;
    }

    /// <summary>Row i: 2 for the predicted class, and distinct small values elsewhere so scores rarely tie.</summary>
    public static float[] Logits()
    {
        var logits = new float[Labels.Length * 3];
        for (var i = 0; i < Labels.Length; i++)
            for (var c = 0; c < 3; c++) logits[i * 3 + c] = c == Predictions[i] ? 2f : 0.1f * ((i + c) % 4);
        return logits;
    }

    private static TensorSnapshot Tensor(string name, int[] shape, float[] values) =>
        new(name, shape, "float32", MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    public async Task DisposeAsync() => await Database.DisposeAsync();
}
