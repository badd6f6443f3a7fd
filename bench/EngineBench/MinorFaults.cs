using System.Globalization;

namespace Experiments.Bench;

/// <summary>This process's minor page faults so far (Linux's /proc/self/stat), as Python's resource.getrusage counts them.</summary>
internal static class MinorFaults
{
    public static long SoFar()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        // The command name in field 2 may hold spaces, so count fields from its closing parenthesis: minflt is field 10.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[10 - 3], CultureInfo.InvariantCulture);
    }
}
