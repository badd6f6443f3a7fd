using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Experiments.Architectures;

/// <summary>
/// Small, strict readers over YamlDotNet's representation model that report problems against key paths
/// instead of throwing. Architecture files use them, and so can any other specification (sweep files) that
/// embeds an architecture: every reader takes the path of the node it is given, so messages stay exact.
/// </summary>
/// <remarks>
/// JSON is read through the same path because JSON is YAML. Quoted scalars are strings: <c>"5"</c> is not a
/// number, so a JSON file means exactly what it says.
/// </remarks>
public static class YamlSpec
{
    /// <summary>Parses one YAML (or JSON) document; syntax errors and empty input become problems.</summary>
    public static YamlNode? Load(string text, List<SpecProblem> problems)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            problems.Add(new SpecProblem("", $"YAML syntax error at line {e.Start.Line}, column {e.Start.Column}: {e.Message}"));
            return null;
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner throws this, with no position, on some unclosed flow collections (a list left open
            // before the next key: "lr: [1e-3, 3e-3" then "weight_decay: …"), where it reports the others as YamlException.
            problems.Add(new SpecProblem("", UnclosedCollection(text) is { } open
                ? $"YAML syntax error at line {open.Line}, column {open.Column}: the '{open.Bracket}' opened there is not closed"
                : "YAML syntax error: the document could not be read; look for a '[' or '{' that is not closed, or an unclosed quote"));
            return null;
        }

        switch (stream.Documents.Count)
        {
            case 0:
                problems.Add(new SpecProblem("", "the document is empty"));
                return null;
            case > 1:
                problems.Add(new SpecProblem("", $"expected one YAML document, found {stream.Documents.Count} (separated by ---)"));
                return null;
            default:
                return stream.Documents[0].RootNode;
        }
    }

    /// <summary>
    /// Where the innermost flow collection ('[' or '{') still open was opened when the parser gave up on
    /// <paramref name="text"/>; null when it gave up outside one. Read by replaying the parser's events, which carry
    /// positions, up to the failure.
    /// </summary>
    private static (long Line, long Column, char Bracket)? UnclosedCollection(string text)
    {
        var open = new Stack<(long Line, long Column, char Bracket)?>();
        var parser = new Parser(new StringReader(text));
        try
        {
            while (parser.MoveNext())
            {
                switch (parser.Current)
                {
                    case SequenceStart start:
                        open.Push(start.Style == SequenceStyle.Flow ? (start.Start.Line, start.Start.Column, '[') : null);
                        break;
                    case MappingStart start:
                        open.Push(start.Style == MappingStyle.Flow ? (start.Start.Line, start.Start.Column, '{') : null);
                        break;
                    case SequenceEnd or MappingEnd when open.Count > 0:
                        open.Pop();
                        break;
                }
            }
            return null;
        }
        catch (Exception e) when (e is InvalidOperationException or YamlException)
        {
            return open.FirstOrDefault(o => o is not null);
        }
    }

    /// <summary><c>Key("layers[2]", "stride")</c> is <c>layers[2].stride</c>; a blank path gives the bare key.</summary>
    public static string Key(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    public static string Item(string path, int index) => $"{path}[{index}]";

    /// <summary>The value at <paramref name="key"/>, or null when the key is absent.</summary>
    public static YamlNode? Get(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    /// <summary>Reports every key that is not allowed (with a did-you-mean) and every key that is not a plain name.</summary>
    public static void CheckKeys(YamlMappingNode map, string path, IReadOnlyCollection<string> allowed, List<SpecProblem> problems, string? owner = null)
    {
        foreach (var key in map.Children.Keys)
        {
            if (key is not YamlScalarNode { Value: { } name })
            {
                problems.Add(new SpecProblem(path, $"keys must be plain names, got {Describe(key)}"));
                continue;
            }
            if (allowed.Contains(name)) continue;

            var scope = owner is null ? "" : $" for {owner}";
            var hint = Suggest(name, allowed) is { } suggestion
                ? $"did you mean '{suggestion}'?"
                : $"allowed keys are {string.Join(", ", allowed)}";
            problems.Add(new SpecProblem(Key(path, name), $"unknown key{scope}; {hint}"));
        }
    }

    public static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    public static string? ReadString(YamlNode node, string path, List<SpecProblem> problems)
    {
        if (node is YamlScalarNode { Value: { } value } && !IsNull(node)) return value;
        problems.Add(new SpecProblem(path, $"expected a string, got {Describe(node)}"));
        return null;
    }

    public static int? ReadInt(YamlNode node, string path, List<SpecProblem> problems)
    {
        if (TryInt(node, out var value)) return value;
        problems.Add(new SpecProblem(path, $"expected an integer, got {Describe(node)}"));
        return null;
    }

    public static double? ReadDouble(YamlNode node, string path, List<SpecProblem> problems)
    {
        if (node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: { } text }
            && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            && double.IsFinite(value))
            return value;
        problems.Add(new SpecProblem(path, $"expected a number, got {Describe(node)}"));
        return null;
    }

    public static bool? ReadBool(YamlNode node, string path, List<SpecProblem> problems)
    {
        if (node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: { } text })
        {
            if (text is "true" or "True" or "TRUE") return true;
            if (text is "false" or "False" or "FALSE") return false;
        }
        problems.Add(new SpecProblem(path, $"expected true or false, got {Describe(node)}"));
        return null;
    }

    /// <summary>An integer (both dimensions) or a two-item list <c>[h, w]</c>.</summary>
    public static Pair? ReadPair(YamlNode node, string path, List<SpecProblem> problems)
    {
        if (TryPair(node, out var pair)) return pair;
        problems.Add(new SpecProblem(path, $"expected an integer or [h, w], got {Describe(node)}"));
        return null;
    }

    public static bool TryInt(YamlNode node, out int value)
    {
        value = 0;
        return node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: { } text }
            && int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }

    public static bool TryPair(YamlNode node, out Pair pair)
    {
        pair = default;
        if (TryInt(node, out var square))
        {
            pair = Pair.Square(square);
            return true;
        }
        if (node is YamlSequenceNode { Children.Count: 2 } list && TryInt(list[0], out var h) && TryInt(list[1], out var w))
        {
            pair = new Pair(h, w);
            return true;
        }
        return false;
    }

    /// <summary>How a node reads in a "got …" message: the scalar itself, or what kind of collection it is.</summary>
    public static string Describe(YamlNode node) => node switch
    {
        _ when IsNull(node) => "nothing",
        YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any } s => s.Value!,
        YamlScalarNode s => $"the string '{s.Value}'",
        YamlSequenceNode s => $"a list of {s.Children.Count} item{(s.Children.Count == 1 ? "" : "s")}",
        YamlMappingNode => "a mapping",
        _ => node.NodeType.ToString(),
    };

    /// <summary>The closest candidate within a small edit distance, for "did you mean" hints.</summary>
    public static string? Suggest(string word, IEnumerable<string> candidates)
    {
        // Up to a third of the word may be wrong: catches typos and swaps without suggesting nonsense.
        // An abbreviation (conv for conv2d) is as good as a typo.
        var limit = Math.Max(1, word.Length / 3);
        var typed = word.ToLowerInvariant();
        return candidates
            .Select(c => (Candidate: c, Distance: EditDistance(typed, c.ToLowerInvariant())))
            .Where(c => c.Distance <= limit || (typed.Length >= 3 && c.Candidate.StartsWith(typed, StringComparison.OrdinalIgnoreCase)))
            .OrderBy(c => c.Distance)
            .Select(c => c.Candidate)
            .FirstOrDefault();
    }

    /// <summary>Optimal-string-alignment distance: Levenshtein plus adjacent transpositions (<c>strdie</c> → <c>stride</c> is 1).</summary>
    internal static int EditDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        for (var j = 1; j <= b.Length; j++)
        {
            var cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
        }
        return d[a.Length, b.Length];
    }
}
