using Experiments.Store;

namespace Experiments.Worker.Node;

/// <summary>How a worker node runs. Zero slots or threads means "discover" (see <see cref="SlotPlan.Discover"/>).</summary>
public sealed record WorkerOptions
{
    /// <summary>Unique per process: a restarted worker is a new worker, and the old one's trials are taken back by lease expiry.</summary>
    public string Name { get; init; } = $"{Environment.MachineName}/{Environment.ProcessId}";

    public int Slots { get; init; }

    public int ThreadsPerSlot { get; init; }

    /// <summary>Trials sharing one CUDA device: 2 suits sweeps with <c>gpus_per_trial: 0.5</c>.</summary>
    public int SlotsPerGpu { get; init; } = 1;

    /// <summary>How long a running trial stays this worker's without a heartbeat. A killed worker's trials resume elsewhere after it.</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Where datasets are read from (EXPERIMENTS_HOME or ~/.experiments when null).</summary>
    public string? Home { get; init; }

    /// <summary>The sweeps whose trials this worker claims (<see cref="SweepDrivers"/>): the cluster's, or its own process's.</summary>
    public string Driver { get; init; } = SweepDrivers.Cluster;

    /// <summary>
    /// Whether a fault of this worker's environment (<see cref="EnvironmentFaults"/>) quarantines it, handing the trial
    /// to another worker without using an attempt. A worker alone in its process has no other worker to hand it to, so
    /// it fails the attempt instead, as any fault.
    /// </summary>
    public bool QuarantinesOnEnvironmentFaults { get; init; } = true;

    /// <summary>
    /// Whether each epoch's write overlaps the next epoch's training (<see cref="Recording.TrialRecorder.Pipelined"/>).
    /// Always on in the product; off only to measure what the pipelining buys (GridBench's --compare-pipelining).
    /// </summary>
    public bool PipelinedRecording { get; init; } = true;

    /// <summary>This worker as the one of an in-process silo: it runs only the sweeps its own process drives.</summary>
    public WorkerOptions InProcess() => this with { Driver = SweepDrivers.InProcess(Name), QuarantinesOnEnvironmentFaults = false };
}

/// <summary>What a node offers: trials at once, libtorch threads per trial, CUDA devices and trials per device.</summary>
public sealed record SlotPlan(int Slots, int ThreadsPerSlot, int Gpus, int SlotsPerGpu = 1)
{
    /// <summary>
    /// On a GPU node, one slot per CUDA device, or <paramref name="slotsPerGpu"/> per device for fractional requests
    /// (<c>gpus_per_trial: 0.5</c> wants 2). On a CPU-only node, one single-threaded trial per core: small CNNs do not
    /// scale across libtorch's intra-op threads, so two 1-thread trials finish more work than one 2-thread trial
    /// (measured in bench/README.md, "Slots"). Explicit slots or threads win; threads default to cores / slots.
    /// </summary>
    public static SlotPlan Discover(int requestedSlots, int requestedThreads, int cores, int cudaDevices, int slotsPerGpu = 1)
    {
        if (requestedSlots < 0 || requestedThreads < 0) throw new ArgumentException("slots and threads must be 0 (discover) or positive");
        if (slotsPerGpu < 1) throw new ArgumentException("slots per GPU must be at least 1");
        var slots = requestedSlots > 0 ? requestedSlots : cudaDevices > 0 ? cudaDevices * slotsPerGpu : Math.Max(1, cores);
        var threads = requestedThreads > 0 ? requestedThreads : Math.Max(1, cores / slots);
        return new SlotPlan(slots, threads, cudaDevices, slotsPerGpu);
    }

    /// <summary>This machine's plan for a worker started with <paramref name="options"/>.</summary>
    public static SlotPlan For(WorkerOptions options) =>
        Discover(options.Slots, options.ThreadsPerSlot, Environment.ProcessorCount, Engine.EngineRuntime.CudaDeviceCount, options.SlotsPerGpu);

    /// <summary>The device slot <paramref name="slot"/> trains on: slots fill each CUDA device in turn, else the CPU.</summary>
    public Engine.Device DeviceFor(int slot) =>
        Gpus == 0 ? Engine.Device.Cpu : Engine.Device.Cuda(slot / SlotsPerGpu % Gpus);
}
