using System.Diagnostics;
using Experiments.Testing;
using Xunit;

namespace Experiments.Silo.Tests;

/// <summary>
/// The `experiments` launcher checks its Debian packages and whether the build is stale before every command. Both
/// checks are in bash; these run the launcher's own functions, so a check that wrongly finds everything installed (a
/// fresh machine then fails later, far from the cause) or the build fresh after a source change would fail here.
/// </summary>
public sealed class Checking_the_launchers_prerequisites
{
    [Fact]
    public void Only_the_packages_and_commands_that_are_missing_are_named()
    {
        // bash is installed on any machine that runs the launcher; the other two names exist nowhere.
        var missing = RunLauncherFunction("missing_packages", "missing_packages bash no-such-package-for-tests sh:sh no-such-command-for-tests:its-package");

        Assert.Equal(["its-package", "no-such-package-for-tests"], missing.Split(' ', StringSplitOptions.RemoveEmptyEntries).Order());
    }

    [Fact]
    public void Nothing_is_named_when_everything_is_installed() =>
        Assert.Equal("", RunLauncherFunction("missing_packages", "missing_packages bash coreutils sh:sh").Trim());

    [Fact]
    public void A_source_file_newer_than_the_build_makes_it_stale_and_build_output_does_not()
    {
        var root = Directory.CreateTempSubdirectory("launcher-root-").FullName;
        try
        {
            foreach (var folder in new[] { "src/Lib/bin", "src/Lib/obj", "tests", "bench", "examples", "artifacts" })
                Directory.CreateDirectory(Path.Combine(root, folder));
            File.WriteAllText(Path.Combine(root, "Experiments.sln"), "");
            var stamp = Path.Combine(root, "artifacts", "build.stamp");
            var dll = Path.Combine(root, "cli.dll");
            File.WriteAllText(stamp, "");
            File.WriteAllText(dll, "");
            var check = $"ROOT='{root}' BUILD_STAMP='{stamp}' CLI_DLL='{dll}'; needs_build && echo stale || echo fresh";
            var later = DateTime.Now.AddMinutes(1);

            var untouched = RunLauncherFunction("needs_build", check).Trim();
            Touch(Path.Combine(root, "src", "Lib", "obj", "Generated.cs"), later);
            var afterBuildOutput = RunLauncherFunction("needs_build", check).Trim();
            Touch(Path.Combine(root, "src", "Lib", "Model.cs"), later);
            var afterSource = RunLauncherFunction("needs_build", check).Trim();

            Assert.Equal(["fresh", "fresh", "stale"], [untouched, afterBuildOutput, afterSource]);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static void Touch(string path, DateTime at)
    {
        File.WriteAllText(path, "");
        File.SetLastWriteTime(path, at);
    }

    /// <summary>Defines one function of the launcher (its text, as the launcher has it) and runs <paramref name="script"/>.</summary>
    private static string RunLauncherFunction(string function, string script)
    {
        var launcher = Path.Combine(Repository.Root(), "experiments");
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"set -euo pipefail; source <(sed -n '/^{function}() {{/,/^}}/p' '{launcher}'); {script}");
        using var bash = Process.Start(start)!;
        var output = bash.StandardOutput.ReadToEndAsync();
        var error = bash.StandardError.ReadToEnd();
        bash.WaitForExit();
        Assert.True(bash.ExitCode == 0, $"bash exited {bash.ExitCode}: {error}");
        return output.Result;
    }
}
