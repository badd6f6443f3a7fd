using Experiments.Analysis.Tests.OracleSupport;
using Xunit;

namespace Experiments.Analysis.Tests;

public sealed class Running_the_scikit_learn_oracle
{
    [Fact]
    public void A_missing_interpreter_fails_with_the_install_hint()
    {
        var error = Assert.Throws<InvalidOperationException>(() => SklearnOracle.Run([], "/nonexistent/python3"));
        Assert.Contains("apt-get install python3-sklearn", error.Message);
    }

    [Fact]
    public void An_interpreter_without_sklearn_fails_with_the_install_hint()
    {
        // A stand-in interpreter that fails the way a python without sklearn does (a shell script: Unix only, as the oracle).
        Assert.False(OperatingSystem.IsWindows(), "the scikit-learn oracle runs Debian's /usr/bin/python3");
        var fake = Path.Combine(Path.GetTempPath(), $"python-without-sklearn-{Guid.NewGuid():N}");
        File.WriteAllText(fake, "#!/bin/sh\necho \"ModuleNotFoundError: No module named 'sklearn'\" >&2\nexit 1\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            var error = Assert.Throws<InvalidOperationException>(() => SklearnOracle.Run([], fake));
            Assert.Contains("apt-get install python3-sklearn", error.Message);
        }
        finally
        {
            File.Delete(fake);
        }
    }
}
