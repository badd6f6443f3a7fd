namespace Experiments.Coordinator.Tests;

/// <summary>
/// The corpus under Corpus/bad: each file states the problems it must be rejected with in <c># expect:</c> lines,
/// and must be rejected with exactly those (one problem per expect line, nothing else).
/// </summary>
public class Rejecting_a_bad_sweep_file
{
    private static string CorpusDirectory(string kind) => Path.Combine(AppContext.BaseDirectory, "Corpus", kind);

    public static TheoryData<string> BadFiles => [.. Directory.GetFiles(CorpusDirectory("bad"), "*.yaml").Select(f => Path.GetFileName(f)).Order()];

    public static TheoryData<string> GoodFiles => [.. Directory.GetFiles(CorpusDirectory("good"), "*.yaml").Select(f => Path.GetFileName(f)).Order()];

    private static List<string> Directives(string text, string directive) =>
    [
        .. text.Split('\n')
            .Select(line => line.TrimEnd('\r'))
            .Where(line => line.StartsWith($"# {directive}:", StringComparison.Ordinal))
            .Select(line => line[($"# {directive}:".Length)..].Trim()),
    ];

    [Fact]
    public void The_corpus_holds_at_least_25_bad_files()
    {
        Assert.True(BadFiles.Count >= 25, $"only {BadFiles.Count} bad sweep files");
    }

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void Is_rejected_with_exactly_the_problems_it_expects(string file)
    {
        var text = File.ReadAllText(Path.Combine(CorpusDirectory("bad"), file));
        var expected = Directives(text, "expect");
        Assert.NotEmpty(expected);

        var error = Assert.Throws<SpecException>(() => SweepReader.Parse(text, file));

        var reported = error.Problems.Select(p => p.ToString()).ToList();
        foreach (var fragment in expected)
            Assert.True(reported.Any(r => r.Contains(fragment, StringComparison.Ordinal)),
                $"expected a problem containing\n  {fragment}\nbut got\n  {string.Join("\n  ", reported)}");
        Assert.True(reported.Count == expected.Count,
            $"expected {expected.Count} problem(s), got {reported.Count}:\n  {string.Join("\n  ", reported)}");
        Assert.All(error.Message.Split(Environment.NewLine), line => Assert.StartsWith($"{file}: ", line));
    }

    [Theory]
    [MemberData(nameof(GoodFiles))]
    public void A_good_file_parses_and_expands_to_its_stated_trial_count(string file)
    {
        var text = File.ReadAllText(Path.Combine(CorpusDirectory("good"), file));
        var count = int.Parse(Assert.Single(Directives(text, "trials")), System.Globalization.CultureInfo.InvariantCulture);

        var spec = SweepReader.Parse(text, file);
        var trials = SweepExpander.Expand(spec);

        Assert.Equal(count, spec.TrialCount);
        Assert.Equal(count, trials.Count);
        Assert.Equal(Enumerable.Range(0, count), trials.Select(t => t.Index));
    }
}
