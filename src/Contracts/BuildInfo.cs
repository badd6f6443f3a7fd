using System.Reflection;

namespace Experiments.Contracts;

/// <summary>Which code and which machine are running, recorded with every trial (as W&amp;B and MLflow record them).</summary>
public static class BuildInfo
{
    public const string Unknown = "unknown";

    /// <summary>
    /// The git commit this build was compiled from, or "unknown". The .NET SDK stamps the commit into the informational
    /// version ("1.0.0+&lt;sha&gt;") when it builds inside a git checkout, a fresh clone included; a build from an
    /// exported source tree has no commit to stamp, and says so.
    /// </summary>
    public static string CodeVersion { get; } =
        CommitOf(typeof(BuildInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion);

    /// <summary>The host name of this machine.</summary>
    public static string Host => Environment.MachineName;

    /// <summary>The part of an informational version after '+' (the source revision), or "unknown" when it has none.</summary>
    public static string CommitOf(string? informationalVersion)
    {
        var plus = informationalVersion?.IndexOf('+') ?? -1;
        return plus >= 0 && plus < informationalVersion!.Length - 1 ? informationalVersion[(plus + 1)..] : Unknown;
    }
}
