using System.Diagnostics;
using System.Globalization;
using Experiments.Analysis;
using Experiments.Architectures;
using Experiments.Datasets;
using Experiments.Store;
using Experiments.Worker.Engine;
using Experiments.Worker.Recording;
using Experiments.Worker.Training;

namespace Experiments.Bench;

/// <summary>Where one epoch's wall time went, in seconds. Epoch 0 (the untrained model) has no training.</summary>
/// <param name="Recording">The recorder's whole write: artifacts (confusion matrices, ROC curves), snapshot capture, COPY, commit.</param>
/// <param name="Artifacts">Computing and serialising the epoch's per-split artifacts alone, timed apart after the epoch.</param>
/// <param name="TrainCpu">CPU seconds of the training thread in the training batches (with one libtorch thread, all of the work).</param>
/// <param name="EvaluationCpu">The same for evaluation.</param>
internal sealed record EpochPhases(int Epoch, double Wall, double Train, double Evaluation, double Recording, double Artifacts, double TrainCpu, double EvaluationCpu)
{
    public double Outside => Wall - Train;

    /// <summary>
    /// The share outside training with training and evaluation counted in CPU time and recording in wall time: on a loaded
    /// machine this is what the wall-time share would be if the thread were never kept waiting for a core. Recording
    /// stays in wall time because most of it is PostgreSQL's work, in another process.
    /// </summary>
    public double CpuWall => TrainCpu + EvaluationCpu + Recording;
}

/// <summary>
/// One trial trained and recorded as a sweep trial is (the real <see cref="Trainer"/> and <see cref="TrialRecorder"/> on
/// the private store), alone on the machine at the sweep's threads per slot, with clocks around each phase of every
/// epoch: the training batches (the trainer's clock), evaluation of the train sample, validation and test (the
/// trainer's <see cref="EpochMetrics.EvaluationSeconds"/>), and recording (observers on either side of the recorder).
/// Then, with the trained model, each split's evaluation is timed alone.
/// </summary>
internal static class EpochProfile
{
    /// <param name="pipelined">Whether epoch e's write overlaps epoch e + 1's training, as a worker records; without it,
    /// every write commits before the next epoch starts (the baseline). Recording is then the training thread's hand-off:
    /// capturing the snapshot and waiting for the previous write.</param>
    public static async Task<IReadOnlyList<EpochPhases>> RunAsync(ResultsStore store, DatasetSplits data, GridBenchOptions options, bool pipelined,
        CancellationToken ct)
    {
        var plan = ShapeInference.Plan(ArchitectureCatalog.Resolve(options.ProfileModel), data.Train.SampleShape);
        var settings = new TrainingSettings
        {
            Optimizer = new OptimizerSettings(OptimizerKind.Adam, 1e-3, 0, 0),
            Epochs = options.Epochs,
            BatchSize = options.BatchSize,
            Seed = 1,
            Threads = options.Threads,
        };
        var trialId = await store.CreateTrialAsync(RecordedTrial.Definition(plan, "mnist", settings, DatasetSplits.DefaultValidationFraction, options.Limit), ct);
        var attempt = await store.MarkRunningAsync(trialId, "grid-bench-profile", ct);
        using var model = Model.Create(plan, settings.Seed);
        var clocks = new PhaseClocks();
        var recorder = new TrialRecorder(store, attempt, ct) { Pipelined = pipelined };
        var result = recorder.Record(() => new Trainer(settings).Run(model, data,
            new CompositeObserver(clocks.BeforeRecording, recorder, clocks.AfterRecording), ct));
        await store.FinishTrialAsync(attempt, TrialStatus.Completed, result.Message, ct);
        if (result.Outcome != TrainingOutcome.Completed) throw new InvalidOperationException($"the profiled trial ended {result.Outcome}: {result.Message}");

        Console.WriteLine($"\nepoch profile, {(pipelined ? "pipelined: epoch e written while e + 1 trains (recording = the training thread's hand-off)" : "unpipelined baseline: each write commits before the next epoch")}: " +
                          $"{options.ProfileModel}, Adam lr 1e-3, batch {options.BatchSize}, {options.Threads} thread(s), alone on the machine; " +
                          $"{data.Train.Count:N0} train / {data.Validation.Count:N0} validation / {data.Test.Count:N0} test images, " +
                          $"train sample {settings.TrainSampleSize(data):N0}");
        Console.WriteLine("| epoch | wall | train batches | evaluation | recording | of which artifacts | outside training | train CPU | evaluation CPU | outside training, by CPU |");
        Console.WriteLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var e in clocks.Epochs)
            Console.WriteLine($"| {e.Epoch} | {Ms(e.Wall)} | {Ms(e.Train)} | {Ms(e.Evaluation)} | {Ms(e.Recording)} | {Ms(e.Artifacts)} | {Share(e.Outside, e.Wall)} | " +
                              $"{Ms(e.TrainCpu)} | {Ms(e.EvaluationCpu)} | {Share(e.EvaluationCpu + e.Recording, e.CpuWall)} |");
        var trained = clocks.Epochs.Where(e => e.Epoch > 0).ToList();
        Console.WriteLine($"trained epochs: evaluation + recording = {Share(trained.Sum(e => e.Outside), trained.Sum(e => e.Wall))} of their wall time " +
                          $"(evaluation {Share(trained.Sum(e => e.Evaluation), trained.Sum(e => e.Wall))}, recording {Share(trained.Sum(e => e.Recording), trained.Sum(e => e.Wall))}); " +
                          $"whole trial, epoch 0 included: {Share(clocks.Epochs.Sum(e => e.Outside), clocks.Epochs.Sum(e => e.Wall))}");
        Console.WriteLine($"the same with training and evaluation in CPU time (load-independent): trained epochs " +
                          $"{Share(trained.Sum(e => e.EvaluationCpu + e.Recording), trained.Sum(e => e.CpuWall))} (evaluation " +
                          $"{Share(trained.Sum(e => e.EvaluationCpu), trained.Sum(e => e.CpuWall))}); whole trial " +
                          $"{Share(clocks.Epochs.Sum(e => e.EvaluationCpu + e.Recording), clocks.Epochs.Sum(e => e.CpuWall))}");
        Console.WriteLine($"writes: {Ms(recorder.WriteTime.TotalSeconds)} in all ({(pipelined ? "on the thread pool, beside training" : "on the training thread")}); " +
                          $"the training thread's hand-offs: {Ms(recorder.HandOffTime.TotalSeconds)}; trial wall {Ms(clocks.Epochs.Sum(e => e.Wall))}");

        EvaluationCpu(model, data, settings.TrainSampleSize(data), trained.Average(e => e.TrainCpu + e.EvaluationCpu));
        return clocks.Epochs;
    }

    /// <summary>
    /// Each split evaluated alone by the trained model, phase by phase, in CPU time of this thread (with one libtorch
    /// thread, all of the work; a loaded machine does not inflate it): the engine's forward passes, loss and accuracy
    /// (the trainer's), then the recorder's artifact (confusion matrix and P/R/F1, the one-vs-rest ROC curves, the JSON).
    /// Median of 3 each; shares are of a trained epoch's CPU (training batches + evaluation, the mean over trained epochs).
    /// </summary>
    private static void EvaluationCpu(Model model, DatasetSplits data, int trainSample, double epochCpu)
    {
        var sample = data.Train.Take(trainSample);
        Console.WriteLine($"\nevaluation by phase, CPU time of one thread (median of 3), as a share of a trained epoch's CPU ({Ms(epochCpu)}):");
        Console.WriteLine("| split | images | forward passes | loss + accuracy | confusion, P/R/F1 | ROC curves | JSON | artifact in all |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        var totals = new double[6];
        foreach (var (name, images) in new[] { ("train sample", sample), ("validation", data.Validation), ("test", data.Test) })
        {
            using var native = NativeDataset.From(images);
            var logits = model.Predict(native);
            var evaluation = SplitEvaluation.FromLogits(logits, images.Labels, images.Classes);
            // The thread's CPU clock advances in scheduler ticks (whole milliseconds), so each sub-millisecond C# phase is run
            // many times over and divided.
            double[] phases =
            [
                MedianCpu(() => model.Predict(native), repeat: 1),
                MedianCpu(() => Evaluation.FromLogits(logits, images.Labels, images.Classes), repeat: 200),
                MedianCpu(() => ClassificationMetrics.From(logits, images.Labels, images.Classes), repeat: 200),
                MedianCpu(() => OneVsRestRoc.FromLogits(logits, images.Labels, images.Classes), repeat: 50),
                MedianCpu(() => evaluation.ToJson(), repeat: 50),
                MedianCpu(() => SplitEvaluation.FromLogits(logits, images.Labels, images.Classes).ToJson(), repeat: 50),
            ];
            for (var i = 0; i < phases.Length; i++) totals[i] += phases[i];
            Console.WriteLine($"| {name} | {images.Count:N0} | {string.Join(" | ", phases.Select(p => $"{FineMs(p)} ({FineShare(p, epochCpu)})"))} |");
        }
        Console.WriteLine($"| all three | {sample.Count + data.Validation.Count + data.Test.Count:N0} | {string.Join(" | ", totals.Select(p => $"{FineMs(p)} ({FineShare(p, epochCpu)})"))} |");
        Console.WriteLine($"on the training thread (forward passes + loss and accuracy): {Share(totals[0] + totals[1], epochCpu)} of a trained epoch's CPU; " +
                          $"the artifacts ({Share(totals[5], epochCpu)}) are computed by the recorder, on the writer's thread when pipelined");
    }

    /// <summary>CPU seconds of one run of <paramref name="work"/>: the median of 3 timings of <paramref name="repeat"/> runs each.</summary>
    private static double MedianCpu(Action work, int repeat) =>
        Statistics.Median(Enumerable.Range(0, 3).Select(_ =>
        {
            var started = ThreadCpuSeconds();
            for (var i = 0; i < repeat; i++) work();
            return (ThreadCpuSeconds() - started) / repeat;
        }));

    /// <summary>CPU time of the calling thread (Linux: the first field of /proc/thread-self/schedstat, in nanoseconds).</summary>
    private static double ThreadCpuSeconds() =>
        long.Parse(File.ReadAllText("/proc/thread-self/schedstat").Split(' ')[0], CultureInfo.InvariantCulture) / 1e9;

    private static string Ms(double seconds) => (seconds * 1000).ToString("N0", CultureInfo.InvariantCulture) + " ms";

    // The C# phases take well under a millisecond: one decimal more for them.
    private static string FineMs(double seconds) => (seconds * 1000).ToString("N1", CultureInfo.InvariantCulture) + " ms";

    private static string FineShare(double part, double whole) => (part / whole).ToString("P2", CultureInfo.InvariantCulture);

    private static string Share(double part, double whole) => (part / whole).ToString("P1", CultureInfo.InvariantCulture);

    /// <summary>Two observers around the recorder: the first notes when evaluation ended, the second when recording did.</summary>
    private sealed class PhaseClocks
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private double _epochStarted, _recordingStarted;
        // Epoch 0's evaluation counts from here: the trainer starts right after (copying the splits into the engine first).
        private double _cpuEpochStarted = ThreadCpuSeconds(), _cpuTrainingEnded, _cpuEvaluationEnded;

        public PhaseClocks()
        {
            BeforeRecording = new Hook(
                started: _ => (_epochStarted, _cpuEpochStarted) = (_clock.Elapsed.TotalSeconds, ThreadCpuSeconds()),
                batches: p => { if (p.BatchesDone == p.TotalBatches) _cpuTrainingEnded = ThreadCpuSeconds(); },
                completed: _ => (_recordingStarted, _cpuEvaluationEnded) = (_clock.Elapsed.TotalSeconds, ThreadCpuSeconds()));
            AfterRecording = new Hook(started: _ => { }, batches: _ => { }, completed: Completed);
        }

        public ITrainingObserver BeforeRecording { get; }
        public ITrainingObserver AfterRecording { get; }
        public List<EpochPhases> Epochs { get; } = [];

        private void Completed(EpochMetrics metrics)
        {
            var ended = _clock.Elapsed.TotalSeconds;
            // Epoch 0 starts when the trainer does: its evaluation is all it does before recording.
            var started = metrics.Epoch == 0 ? _recordingStarted - metrics.EvaluationSeconds : _epochStarted;
            var artifacts = Stopwatch.StartNew();
            foreach (var p in metrics.Predictions) SplitEvaluation.FromLogits(p.Logits, p.Labels, p.Classes).ToJson();
            var trainingEnded = metrics.Epoch == 0 ? _cpuEpochStarted : _cpuTrainingEnded;
            Epochs.Add(new EpochPhases(metrics.Epoch, ended - started, metrics.Seconds, metrics.EvaluationSeconds, ended - _recordingStarted,
                artifacts.Elapsed.TotalSeconds, trainingEnded - _cpuEpochStarted, _cpuEvaluationEnded - trainingEnded));
        }

        private sealed class Hook(Action<int> started, Action<BatchProgress> batches, Action<EpochMetrics> completed) : ITrainingObserver
        {
            public void OnEpochStarted(int epoch, long totalBatches) => started(epoch);
            public void OnBatches(BatchProgress progress) => batches(progress);
            public void OnEpochCompleted(EpochMetrics metrics, Model model, Optimizer optimizer) => completed(metrics);
        }
    }
}
