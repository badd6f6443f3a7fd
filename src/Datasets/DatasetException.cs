namespace Experiments.Datasets;

/// <summary>
/// A dataset could not be read, found or fetched. When a file is at fault its path starts the message
/// and is in <see cref="FilePath"/>, so a user can go straight to it.
/// </summary>
public sealed class DatasetException : Exception
{
    public DatasetException(string message, string? filePath = null, Exception? innerException = null)
        : base(message, innerException) => FilePath = filePath;

    public string? FilePath { get; }

    /// <summary>For an error about a file, what is wrong with it, without the path.</summary>
    public string? Problem { get; private init; }

    /// <summary>An error about one file: <c>"&lt;path&gt;: &lt;what is wrong&gt;"</c>.</summary>
    public static DatasetException InFile(string path, string problem, Exception? innerException = null) =>
        new($"{path}: {problem}", path, innerException) { Problem = problem };
}
