namespace Experiments.Datasets;

/// <summary>
/// The root folder for everything this system keeps on the local disk: <c>$EXPERIMENTS_HOME</c>, else
/// <c>~/.experiments</c>. Datasets live in <c>&lt;home&gt;/datasets/&lt;name&gt;/</c>.
/// </summary>
public static class ExperimentsHome
{
    public const string EnvironmentVariable = "EXPERIMENTS_HOME";

    public static string Resolve()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment)) return Path.GetFullPath(fromEnvironment);
        var profile = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(profile, ".experiments");
    }

    public static string DatasetsDirectory(string home) => Path.Combine(home, "datasets");

    public static string DatasetDirectory(string home, string name) => Path.Combine(DatasetsDirectory(home), name);
}
