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
}
