using Experiments.Status.Native;

return await NativeSweepStatus.RunAsync(args, CancellationToken.None);
