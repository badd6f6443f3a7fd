using System.Globalization;

namespace Experiments.Bench;

/// <summary>Walks a bench's command line: options, their values, and the errors that name what is wrong.</summary>
internal sealed class ArgumentReader(IReadOnlyList<string> args, string usage)
{
    private int _index = -1;

    public bool Next(out string option)
    {
        _index++;
        option = _index < args.Count ? args[_index] : "";
        return _index < args.Count;
    }

    public string Value() =>
        _index + 1 < args.Count ? args[++_index] : throw new ArgumentException($"{args[_index]} needs a value\n{usage}");

    public int Positive()
    {
        var option = args[_index];
        var text = Value();
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n : throw new ArgumentException($"{option} needs a positive whole number, got '{text}'");
    }

    public string OneOf(IReadOnlyList<string> choices)
    {
        var option = args[_index];
        var text = Value();
        return choices.Contains(text) ? text : throw new ArgumentException($"{option} needs one of {string.Join(", ", choices)}, got '{text}'");
    }

    public IReadOnlyList<string> List() => Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public ArgumentException Unknown() => new($"unknown option '{args[_index]}'\n{usage}");

    /// <summary>The options, or null with the exit code to return: 2 after a bad command line, 0 after --help.</summary>
    public static (T? Options, int ExitCode) Parse<T>(string[] args, Func<string[], T?> parse) where T : class
    {
        try
        {
            return parse(args) is { } options ? (options, 0) : (null, 0);
        }
        catch (ArgumentException error)
        {
            Console.Error.WriteLine(error.Message);
            return (null, 2);
        }
    }
}
