using Experiments.Contracts;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Experiments.Silo.Hosting;

/// <summary>
/// OTLP export of the "Experiments" spans and instruments (plus Orleans's), switched on by the standard
/// OTEL_EXPORTER_OTLP_ENDPOINT variable; the exporter reads the other OTEL_* variables itself. It lives as long as the
/// process, so the `sweep` span a command starts before any host exists is exported too. Without the variable nothing
/// is exported and the instrumentation costs next to nothing.
/// </summary>
public sealed class TelemetryExport : IDisposable
{
    private readonly TracerProvider _tracing;
    private readonly MeterProvider _metrics;

    private TelemetryExport()
    {
        var resource = ResourceBuilder.CreateDefault().AddService("experiments");
        _tracing = Sdk.CreateTracerProviderBuilder().SetResourceBuilder(resource).AddSource(ExperimentsTelemetry.Name, "Microsoft.Orleans.*").AddOtlpExporter().Build();
        _metrics = Sdk.CreateMeterProviderBuilder().SetResourceBuilder(resource).AddMeter(ExperimentsTelemetry.Name, "Microsoft.Orleans").AddOtlpExporter().Build();
    }

    /// <summary>Started when OTEL_EXPORTER_OTLP_ENDPOINT is set, else null. Disposing it flushes what is pending.</summary>
    public static TelemetryExport? StartIfConfigured() =>
        string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT")) ? null : new TelemetryExport();

    public void Dispose()
    {
        _tracing.Dispose();
        _metrics.Dispose();
    }
}
