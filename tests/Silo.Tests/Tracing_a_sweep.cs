using System.Diagnostics;
using System.Diagnostics.Metrics;
using Experiments.Contracts;
using Experiments.Coordinator;
using Experiments.Coordinator.Orchestration;
using Experiments.Silo.Hosting;
using Experiments.Store;
using Experiments.Worker.Node;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Xunit;

namespace Experiments.Silo.Tests;

/// <summary>
/// A small sweep run in-process (coordinator and worker over the in-memory bus, real PostgreSQL and libtorch), its spans
/// captured by an in-test exporter through the OpenTelemetry SDK: sweep → trial → epoch, with their attributes.
/// </summary>
[Collection(SweepsInTheTestProcess.Name)]
public sealed class Tracing_a_sweep : IAsyncLifetime
{
    private LocalPostgres? _server;
    private string? _home;
    private string _connection = "";

    [Fact]
    public async Task Every_trial_span_is_a_child_of_the_sweep_span_and_every_epoch_span_a_child_of_its_trial()
    {
        var spans = new List<Activity>();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddSource(ExperimentsTelemetry.Name)
            .AddProcessor(new SimpleActivityExportProcessor(new CapturingExporter(spans))).Build();
        var measured = new Dictionary<string, double>();
        using var meters = new MeterListener();
        meters.InstrumentPublished = (instrument, listener) => { if (instrument.Meter.Name == ExperimentsTelemetry.Name) listener.EnableMeasurementEvents(instrument); };
        meters.SetMeasurementEventCallback<long>((i, value, _, _) => { lock (measured) measured[i.Name] = measured.GetValueOrDefault(i.Name) + value; });
        meters.SetMeasurementEventCallback<double>((i, value, _, _) => { lock (measured) measured[i.Name] = measured.GetValueOrDefault(i.Name) + 1; });
        meters.Start();

        const string file = """
            name: traced
            dataset: synthetic
            epochs: 2
            batch_size: 32
            grid:
              arch: [ffnn-100]
              lr: [1e-3, 3e-3]
            """;
        await using var store = await ResultsStore.OpenAsync(_connection);
        long sweepId;
        string sweepTraceId, sweepSpanId;
        using (var sweepSpan = ExperimentsTelemetry.Source.StartActivity("sweep"))
        {
            Assert.NotNull(sweepSpan);
            (sweepTraceId, sweepSpanId) = (sweepSpan.TraceId.ToString(), sweepSpan.SpanId.ToString());
            sweepId = await SweepSubmission.SubmitAsync(store, SweepReader.Parse(file, "traced.yaml"), file, "traced.yaml", sweepSpan, default);
        }
        // The trials run after the sweep span has ended, on other threads: the parent reaches them only through the database.
        using var host = ExperimentsNode.Build(store, NodeSettings.InProcess(new WorkerOptions { Slots = 2, ThreadsPerSlot = 1 }), consoleLogLevel: LogLevel.None);
        await host.StartAsync();
        await ExperimentsNode.AnnounceAsync(host, sweepId, default);
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while ((await store.GetSweepAsync(sweepId))!.Status == SweepStatus.Running && DateTime.UtcNow < deadline) await Task.Delay(200);
        await host.StopAsync();
        Assert.Equal(SweepStatus.Completed, (await store.GetSweepAsync(sweepId))!.Status);

        List<Activity> captured;
        lock (spans) captured = [.. spans];
        var sweep = Assert.Single(captured, s => s.OperationName == "sweep");
        Assert.Equal(sweepId, sweep.GetTagItem("experiments.sweep.id"));
        var trials = captured.Where(s => s.OperationName == "trial").ToList();
        Assert.Equal(2, trials.Count);
        Assert.All(trials, t =>
        {
            Assert.Equal(sweepTraceId, t.TraceId.ToString());
            Assert.Equal(sweepSpanId, t.ParentSpanId.ToString());
            Assert.Equal("ffnn-100", t.GetTagItem("experiments.architecture"));
            Assert.Equal("completed", t.GetTagItem("experiments.trial.status"));
            Assert.Equal("cpu", t.GetTagItem("experiments.device"));
            Assert.NotNull(t.GetTagItem("experiments.worker"));
        });
        Assert.Equal([1e-3, 3e-3], trials.Select(t => (double)t.GetTagItem("experiments.lr")!).Order());
        var epochs = captured.Where(s => s.OperationName == "epoch").ToList();
        Assert.Equal(4, epochs.Count);
        foreach (var trial in trials)
        {
            var children = epochs.Where(e => e.ParentSpanId == trial.SpanId).ToList();
            Assert.Equal([1, 2], children.Select(e => (int)e.GetTagItem("experiments.epoch")!).Order());
            Assert.All(children, e => Assert.InRange((double)e.GetTagItem("experiments.val_accuracy")!, 0, 1));
        }

        meters.RecordObservableInstruments();
        lock (measured)
        {
            Assert.Equal(4, measured["experiments.epochs.completed"]);
            Assert.Equal(2, measured["experiments.trials.ended"]);
            Assert.Equal(4, measured["experiments.epoch.duration"]);
            Assert.Equal(2, measured["experiments.trial.queue_wait"]);
        }
    }

    public async Task InitializeAsync()
    {
        _home = LocalPostgres.CreateTemporaryHome("experiments-tracing-");
        _server = new LocalPostgres(_home);
        _connection = await _server.EnsureStartedAsync();
    }

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.StopAsync();
        if (_home is not null) Directory.Delete(_home, recursive: true);
    }

    private sealed class CapturingExporter(List<Activity> spans) : BaseExporter<Activity>
    {
        public override ExportResult Export(in Batch<Activity> batch)
        {
            lock (spans)
                foreach (var activity in batch) spans.Add(activity);
            return ExportResult.Success;
        }
    }
}
