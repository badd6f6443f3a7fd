using Experiments.Silo.Cli;
using Experiments.Silo.Hosting;

using var telemetry = TelemetryExport.StartIfConfigured();
return await ExperimentsCommandLine.InvokeAsync(args);
