namespace Experiments.Worker.Engine;

public enum DeviceKind { Cpu = 0, Cuda = 1 }

/// <summary>Where a model lives: the CPU, or one CUDA device.</summary>
public readonly record struct Device(DeviceKind Kind, int Index = 0)
{
    public static Device Cpu => new(DeviceKind.Cpu);
    public static Device Cuda(int index = 0) => new(DeviceKind.Cuda, index);

    /// <summary>The first GPU when libtorch sees one, else the CPU.</summary>
    public static Device Best => EngineRuntime.CudaDeviceCount > 0 ? Cuda() : Cpu;

    /// <summary>Parses <c>auto</c>, <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    public static Device Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "auto" => Best,
        "cpu" => Cpu,
        "cuda" or "gpu" => Cuda(),
        var s when s.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(s[5..], out var i) && i >= 0 => Cuda(i),
        _ => throw new FormatException($"'{text}' is not a device; use auto, cpu, cuda or cuda:N."),
    };

    public override string ToString() => Kind == DeviceKind.Cpu ? "cpu" : $"cuda:{Index}";
}
