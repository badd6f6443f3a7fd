using Experiments.Silo.Cli;

return await ExperimentsCommandLine.Create().Parse(args).InvokeAsync();
