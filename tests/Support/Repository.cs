using System.Diagnostics;

namespace Experiments.Testing;

public static class Repository
{
    /// <summary>The repository root, found from the test assembly's folder.</summary>
    public static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Experiments.sln"))) return dir.FullName;
        throw new InvalidOperationException("tests must run inside the repository (Experiments.sln not found above " + AppContext.BaseDirectory + ")");
    }

    /// <summary>The commit checked out at the repository root, or null when it is not a git checkout (or git is missing).</summary>
    public static string? Commit()
    {
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", ["-C", Root(), "rev-parse", "HEAD"])
                { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var output = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return git.ExitCode == 0 && output.Length > 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // no git on this machine
        }
    }
}
