using System.Diagnostics;
using Experiments.Architectures;
using Experiments.Datasets;
using Experiments.Store;
using Experiments.Worker.Engine;
using Experiments.Worker.Recording;
using Experiments.Worker.Training;
using Npgsql;

namespace Experiments.Bench;

/// <summary>
/// One recorded epoch: how long it trained, how long its evaluation took, and how long recording it took; CaptureSeconds
/// is the part of such a write spent copying the snapshot out of the engine (timed again separately, after the write).
/// </summary>
/// HashSeconds is SHA-256 over the snapshot's tensors, timed the same way (the store overlaps it with the COPY).
internal sealed record RecordedEpoch(int Epoch, int TrainSamples, double TrainSeconds, double EvaluationSeconds, double WriteSeconds, double CaptureSeconds,
    double HashSeconds)
{
    public double Share => WriteSeconds / TrainSeconds;
}

/// <summary>A pipelined recording: per trained epoch, training and the training thread's hand-off, in seconds; then all writes and the trial's wall.</summary>
internal sealed record PipelinedRecording(IReadOnlyList<(int Epoch, double TrainSeconds, double HandOffSeconds)> Epochs, double WriteSeconds, double WallSeconds)
{
    public double MedianShare => Statistics.Median(Epochs.Select(e => e.HandOffSeconds)) / Statistics.Median(Epochs.Select(e => e.TrainSeconds));
}

/// <summary>What one epoch's snapshot costs on disk, against the raw bytes it holds.</summary>
internal sealed record SnapshotSize(int Tensors, long ModelBytes, long OptimizerBytes, long ColumnBytes, long RelationGrowth)
{
    /// <summary>Model and optimizer tensors as raw little-endian data: what a snapshot must hold at least.</summary>
    public long RawBytes => ModelBytes + OptimizerBytes;
}

/// <summary>
/// One model's recorded trial. Epochs and Sizes are the trained epochs 1…N; epoch 0 (the untrained model, evaluated
/// only) has no training time to compare its write against, so it is kept apart. ModelFloats counts every float32
/// value of the model's state (weights, biases, BatchNorm statistics).
/// </summary>
internal sealed record RecordingResult(
    string Model, long ModelFloats, IReadOnlyList<RecordedEpoch> Epochs, double Epoch0WriteSeconds, SnapshotSize Epoch0Size, IReadOnlyList<SnapshotSize> Sizes)
{
    public double MedianTrainSeconds => Statistics.Median(Epochs.Select(e => e.TrainSeconds));
    public double MedianWriteSeconds => Statistics.Median(Epochs.Select(e => e.WriteSeconds));
    public double MedianShare => MedianWriteSeconds / MedianTrainSeconds;

    /// <summary>The median write against the median epoch grown to <paramref name="images"/> training images.</summary>
    public double MedianShareAt(int images) => MedianWriteSeconds / (MedianTrainSeconds * images / Epochs[0].TrainSamples);

    /// <summary>
    /// A trained epoch's snapshot: model and Adam state (epoch 0's has no Adam state yet). Its on-disk growth is the mean
    /// over the trained epochs, since the table grows in whole pages.
    /// </summary>
    public SnapshotSize TrainedSize => Sizes[^1] with { RelationGrowth = (long)Sizes.Average(s => s.RelationGrowth) };
}

/// <summary>
/// Trains one model with a <see cref="TrialRecorder"/> attached, exactly as a recorded trial runs, and measures what
/// the recording costs: time per epoch (metrics and full snapshot: capture, checksums, COPY, commit) and bytes on disk.
/// </summary>
internal static class RecordingCost
{
    public static async Task<RecordingResult> MeasureAsync(ResultsStore store, Architecture architecture, DatasetSplits data, StoreBenchOptions options)
    {
        var (plan, settings, attempt) = await StartTrialAsync(store, architecture, data, options, "store-bench");
        var trialId = attempt.TrialId;

        using var model = Model.Create(plan, settings.Seed);
        var timing = new EpochTiming(new TrialRecorder(store, trialId), new SnapshotMeter(store.ConnectionString, trialId));
        var result = new Trainer(settings).Run(model, data, timing);
        await store.FinishTrialAsync(attempt, result.Outcome == TrainingOutcome.Completed ? TrialStatus.Completed : TrialStatus.Failed, result.Message);
        if (result.Outcome != TrainingOutcome.Completed) throw new InvalidOperationException($"training did not complete: {result.Message}");

        var floats = model.State.Where(t => t.DType == TensorDType.Float32).Sum(t => t.Elements);
        return new RecordingResult(architecture.Name, floats, timing.Epochs, timing.Epoch0WriteSeconds, timing.Sizes[0], timing.Sizes[1..]);
    }

    /// <summary>
    /// The same trial recorded pipelined, as workers and <c>train</c> record (epoch e written while e + 1 trains): per
    /// trained epoch, the training seconds and the training thread's hand-off (snapshot capture plus waiting for the
    /// previous write), which is all the recording the trial's wall time still pays; the writes run beside training.
    /// </summary>
    public static async Task<PipelinedRecording> MeasurePipelinedAsync(ResultsStore store, Architecture architecture, DatasetSplits data,
        StoreBenchOptions options)
    {
        var (plan, settings, attempt) = await StartTrialAsync(store, architecture, data, options, "store-bench-pipelined");
        var recorder = new TrialRecorder(store, attempt) { Pipelined = true };
        var handOffs = new HandOffTiming(recorder);
        using var model = Model.Create(plan, settings.Seed);
        var wall = Stopwatch.StartNew();
        var result = recorder.Record(() => new Trainer(settings).Run(model, data, handOffs));
        var wallSeconds = wall.Elapsed.TotalSeconds;
        await store.FinishTrialAsync(attempt, result.Outcome == TrainingOutcome.Completed ? TrialStatus.Completed : TrialStatus.Failed, result.Message);
        if (result.Outcome != TrainingOutcome.Completed) throw new InvalidOperationException($"training did not complete: {result.Message}");
        return new PipelinedRecording(handOffs.Epochs, recorder.WriteTime.TotalSeconds, wallSeconds);
    }

    /// <summary>The bench's trial of <paramref name="architecture"/> (Adam, seed 1), created and marked running as <paramref name="worker"/>.</summary>
    private static async Task<(ArchitecturePlan Plan, TrainingSettings Settings, TrialAttempt Attempt)> StartTrialAsync(
        ResultsStore store, Architecture architecture, DatasetSplits data, StoreBenchOptions options, string worker)
    {
        var plan = ShapeInference.Plan(architecture, data.Train.SampleShape);
        var settings = new TrainingSettings
        {
            Optimizer = new OptimizerSettings(OptimizerKind.Adam),
            BatchSize = options.BatchSize,
            Epochs = options.Epochs,
            Threads = options.Threads,
            Seed = 1,
        };
        var trialId = await store.CreateTrialAsync(RecordedTrial.Definition(plan, SyntheticDataset.Name, settings, DatasetSplits.DefaultValidationFraction));
        return (plan, settings, await store.MarkRunningAsync(trialId, worker));
    }

    private sealed class HandOffTiming(TrialRecorder recorder) : ITrainingObserver
    {
        public List<(int Epoch, double TrainSeconds, double HandOffSeconds)> Epochs { get; } = [];

        public void OnEpochCompleted(EpochMetrics metrics, Model model, Optimizer optimizer)
        {
            var before = recorder.HandOffTime;
            recorder.OnEpochCompleted(metrics, model, optimizer);
            if (metrics.Epoch > 0) Epochs.Add((metrics.Epoch, metrics.Seconds, (recorder.HandOffTime - before).TotalSeconds));
        }
    }

    /// <summary>
    /// Wraps the recorder: times each epoch's training (the trainer's own clock), its evaluation and its write, then
    /// measures the snapshot just written (outside the timed write).
    /// </summary>
    private sealed class EpochTiming(TrialRecorder recorder, SnapshotMeter meter) : ITrainingObserver
    {
        private readonly Stopwatch _sinceStart = new();
        public List<RecordedEpoch> Epochs { get; } = [];
        public List<SnapshotSize> Sizes { get; } = [];
        public double Epoch0WriteSeconds { get; private set; }

        public void OnEpochStarted(int epoch, long totalBatches) => _sinceStart.Restart();

        public void OnEpochCompleted(EpochMetrics metrics, Model model, Optimizer optimizer)
        {
            // The trainer's clock stops after the last batch; the rest, up to here, is evaluating validation and test.
            var evaluation = metrics.Epoch == 0 ? 0 : _sinceStart.Elapsed.TotalSeconds - metrics.Seconds;
            var before = recorder.WriteTime;
            recorder.OnEpochCompleted(metrics, model, optimizer);
            var write = (recorder.WriteTime - before).TotalSeconds;
            var capture = Stopwatch.StartNew();
            var snapshot = Snapshots.Capture(model, optimizer);
            var captureSeconds = capture.Elapsed.TotalSeconds;
            var hash = Stopwatch.StartNew();
            foreach (var tensor in snapshot) System.Security.Cryptography.SHA256.HashData(tensor.Data);
            var hashSeconds = hash.Elapsed.TotalSeconds;
            if (metrics.Epoch == 0) Epoch0WriteSeconds = write;
            else Epochs.Add(new RecordedEpoch(metrics.Epoch, metrics.Train?.Samples ?? 0, metrics.Seconds, evaluation, write, captureSeconds, hashSeconds));
            Sizes.Add(meter.Measure(metrics.Epoch));
        }
    }

    /// <summary>
    /// Sizes one stored snapshot. The table's growth on disk (heap, TOAST and every index) since the previous epoch is
    /// that epoch's snapshot, because only this trial writes to the table while it trains.
    /// </summary>
    private sealed class SnapshotMeter(string connectionString, long trialId)
    {
        private long _relationBytes = RelationBytes(connectionString);

        public SnapshotSize Measure(int epoch)
        {
            using var connection = new NpgsqlConnection(connectionString);
            connection.Open();
            using var command = new NpgsqlCommand(
                """
                SELECT coalesce(sum(coalesce(jsonb_array_length(members), 1)), 0)::int,
                       coalesce(sum(octet_length(bytes)) FILTER (WHERE name NOT LIKE 'optimizer/%'), 0)::bigint,
                       coalesce(sum(octet_length(bytes)) FILTER (WHERE name LIKE 'optimizer/%'), 0)::bigint,
                       coalesce(sum(pg_column_size(bytes)), 0)::bigint,
                       pg_total_relation_size('weight_tensors')
                FROM weight_tensors WHERE trial_id = @trial AND epoch = @epoch
                """, connection);
            command.Parameters.AddWithValue("trial", trialId);
            command.Parameters.AddWithValue("epoch", epoch);
            using var reader = command.ExecuteReader();
            reader.Read();
            var relationBytes = reader.GetInt64(4);
            var size = new SnapshotSize(reader.GetInt32(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), relationBytes - _relationBytes);
            _relationBytes = relationBytes;
            return size;
        }

        private static long RelationBytes(string connectionString)
        {
            using var connection = new NpgsqlConnection(connectionString);
            connection.Open();
            using var command = new NpgsqlCommand("SELECT pg_total_relation_size('weight_tensors')", connection);
            return (long)command.ExecuteScalar()!;
        }
    }
}
