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
            var status = Path.Combine(root, "sweep-status");
            File.WriteAllText(stamp, "");
            File.WriteAllText(dll, "");
            File.WriteAllText(status, "");
            var check = $"ROOT='{root}' BUILD_STAMP='{stamp}' CLI_DLL='{dll}' SWEEP_STATUS='{status}'; needs_build && echo stale || echo fresh";
            var later = DateTime.Now.AddMinutes(1);

            var untouched = RunLauncherFunction("needs_build", check).Trim();
            File.Delete(status);
            var withoutTheNativeStatus = RunLauncherFunction("needs_build", check).Trim();
            File.WriteAllText(status, "");
            Touch(Path.Combine(root, "src", "Lib", "obj", "Generated.cs"), later);
            var afterBuildOutput = RunLauncherFunction("needs_build", check).Trim();
            Touch(Path.Combine(root, "src", "Lib", "Model.cs"), later);
            var afterSource = RunLauncherFunction("needs_build", check).Trim();

            Assert.Equal(["fresh", "stale", "fresh", "stale"], [untouched, withoutTheNativeStatus, afterBuildOutput, afterSource]);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>
    /// The launcher runs the CLI from its ReadyToRun publish: precompiled code, the CLI's own and its packages' (Npgsql,
    /// System.CommandLine), is what halves a short command's start (bench/README.md, "Scale"). A plain copy of the build,
    /// or a publish without ReadyToRun, has no managed-native header and fails here. Run after the launcher's build
    /// (`./experiments test`), which publishes it.
    /// </summary>
    [Fact]
    public void The_cli_it_runs_is_a_ready_to_run_publish_that_answers()
    {
        var root = Repository.Root();
        var assignment = File.ReadLines(Path.Combine(root, "experiments")).Single(l => l.StartsWith("CLI_DLL=", StringComparison.Ordinal));
        var cli = assignment["CLI_DLL=".Length..].Trim('"').Replace("$ROOT", root, StringComparison.Ordinal)
            .Replace("$CONFIGURATION", "Release", StringComparison.Ordinal);
        Assert.True(File.Exists(cli), $"{cli} is missing: run the tests through ./experiments test, which publishes it");

        foreach (var assembly in new[] { cli, Path.Combine(Path.GetDirectoryName(cli)!, "Npgsql.dll") })
        {
            using var pe = new System.Reflection.PortableExecutable.PEReader(File.OpenRead(assembly));
            Assert.True(pe.PEHeaders.CorHeader!.ManagedNativeHeaderDirectory.Size > 0, $"{assembly} is not ReadyToRun-compiled");
        }
        var version = CliProcess.StartInfo(Path.GetTempPath(), ["--version"]);
        version.ArgumentList[0] = cli;
        using var run = Process.Start(version)!;
        var printed = run.StandardOutput.ReadToEnd();
        run.WaitForExit();
        Assert.True(run.ExitCode == 0, run.StandardError.ReadToEnd());
        Assert.StartsWith(typeof(Experiments.Silo.Cli.CommandErrors).Assembly
            .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .Cast<System.Reflection.AssemblyInformationalVersionAttribute>().Single().InformationalVersion, printed.Trim());
    }

    [Fact]
    public void The_build_log_it_points_to_names_each_project_as_it_is_built()
    {
        // The first build's message sends the user to this log for the minutes it takes; a quiet build left it empty.
        var log = Path.Combine(Repository.Root(), "artifacts", "build.log");
        Assert.True(File.Exists(log), $"{log} is missing: run the tests through ./experiments test, which builds through the launcher");

        var text = File.ReadAllText(log);
        foreach (var project in new[] { "Experiments.Contracts", "Experiments.Worker", "Experiments.Silo" })
            Assert.Contains($"{project} -> ", text);
    }

    [Fact]
    public void The_builds_output_reaches_the_log_line_for_line_while_the_progress_line_counts_projects()
    {
        // build_progress reads the build's output: every line goes to artifacts/build.log (the errors are grepped from
        // there), and off a terminal nothing else is written.
        var root = Directory.CreateTempSubdirectory("launcher-progress-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "artifacts"));
            File.WriteAllText(Path.Combine(root, "Experiments.sln"), "Project(\"{X}\") = \"A\", \"src/A/A.csproj\", \"{1}\"\nProject(\"{X}\") = \"B\", \"src/B/B.csproj\", \"{2}\"\n");
            string[] lines = ["  Determining projects to restore...", "  A -> /somewhere/A.dll", "warning: something", "  B -> /somewhere/B.dll"];
            var output = RunLauncherFunction("build_progress",
                $"ROOT='{root}'; printf '%s\\n' {string.Join(' ', lines.Select(l => $"'{l}'"))} | build_progress 2>&1");
            Assert.Equal("", output);
            Assert.Equal(lines, File.ReadAllLines(Path.Combine(root, "artifacts", "build.log")));
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
