namespace Experiments.Bench;

/// <summary>A file of this repository found from a bench's build output, for the Python peers the benches run.</summary>
internal static class RepositoryFile
{
    /// <summary>The first <paramref name="relativePath"/> (e.g. "bench/pytorch_baseline.py") above the bench's own folder.</summary>
    public static string Find(string relativePath)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, relativePath);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"{relativePath} was not found above {AppContext.BaseDirectory}");
    }
}
