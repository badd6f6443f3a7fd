namespace Experiments.Silo.Cli;

/// <summary>
/// Where a command writes what the user asked for (<c>--out</c>). Missing folders are created, as anyone naming
/// <c>runs/today/w.safetensors</c> expects; a path that cannot be written is bad input, reported with the path.
/// </summary>
public static class OutputPaths
{
    /// <summary>The full path of a file to write, its folder created.</summary>
    public static string File(string path)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new OutputPathException($"cannot write {path}: it is a folder; give a file name inside it");
        Create(Path.GetDirectoryName(full)!, path);
        return full;
    }

    /// <summary>The full path of a folder to write into, created with its parents.</summary>
    public static string Folder(string path)
    {
        var full = Path.GetFullPath(path);
        Create(full, path);
        return full;
    }

    private static void Create(string folder, string asGiven)
    {
        // Directory.CreateDirectory under a file fails with "could not find a part of the path"; name the file instead.
        for (var ancestor = folder; !string.IsNullOrEmpty(ancestor); ancestor = Path.GetDirectoryName(ancestor))
            if (System.IO.File.Exists(ancestor)) throw new OutputPathException($"cannot write {asGiven}: {ancestor} is a file, not a folder");
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // E.g. a folder without write permission: the path is what the user must change.
            throw new OutputPathException($"cannot write {asGiven}: {e.Message}");
        }
    }
}

/// <summary>An output path (<c>--out</c>) that cannot be written: bad input, exit code 2.</summary>
public sealed class OutputPathException(string message) : Exception(message);
