namespace Experiments.Bench;

internal static class MachineLoad
{
    /// <summary>The 1, 5 and 15-minute load averages, printed with every measurement because the machine may be shared.</summary>
    public static string Average() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ')[..3]) : "?";
}
