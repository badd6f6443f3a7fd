using Experiments.Silo.Cli;
using Experiments.Silo.Hosting;

using var telemetry = TelemetryExport.StartIfConfigured();
return await ExperimentsCommandLine.Create().Parse(args).InvokeAsync();
