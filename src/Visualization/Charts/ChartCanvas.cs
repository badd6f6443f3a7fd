using ScottPlot;

namespace Experiments.Visualization.Charts;

/// <summary>
/// What every chart shares: ScottPlot 5 plots set in DejaVu Sans, loaded from Debian's fonts-dejavu-core by file so the
/// output never depends on what fontconfig guesses, and saved as SVG or PNG by the file's extension.
/// </summary>
internal static class ChartCanvas
{
    public const string FontFamily = "DejaVu Sans";

    // Debian's fonts-dejavu-core installs these (the launcher lists the package).
    private const string FontFolder = "/usr/share/fonts/truetype/dejavu";

    private static readonly Lazy<bool> _fontsRegistered = new(() =>
    {
        foreach (var (file, bold) in new[] { ("DejaVuSans.ttf", false), ("DejaVuSans-Bold.ttf", true) })
        {
            var path = Path.Combine(FontFolder, file);
            if (!File.Exists(path))
                throw new InvalidOperationException($"the chart font {path} is missing; install Debian's fonts-dejavu-core");
            Fonts.AddFontFile(FontFamily, path, bold: bold, italic: false);
        }
        return true;
    }, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// Category10 (Tableau) without its grey, with navy as the tenth colour: distinguishable, and fine for the most
    /// common colour-vision deficiencies. No colour is a grey, so none is taken for a line-style key
    /// (<see cref="KeyColour"/>) or for the grey chance diagonal of a ROC chart.
    /// </summary>
    public static IReadOnlyList<string> Palette { get; } =
        ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf", "#000080"];

    /// <summary>The colour of legend keys that explain a line style rather than name a series ("validation (dashed)").</summary>
    public const string KeyColour = "#000000";

    /// <summary>The colour that marks a problem (a dead filter, the true class): Category10's red.</summary>
    public const string Alert = "#d62728";

    /// <summary>Tableau's grey: the border of a note that informs rather than warns.</summary>
    public const string Neutral = "#7f7f7f";

    /// <summary>
    /// Colours for up to twelve lines where red means "dead" (<see cref="Alert"/>): the <see cref="Palette"/> without
    /// its red, then Category20's light blue, light orange and light green, so no healthy line looks dead and none
    /// repeats within <see cref="NormChart.MaxLines"/>.
    /// </summary>
    public static IReadOnlyList<string> PaletteWithoutAlert { get; } =
        [.. Palette.Where(c => c != Alert), "#aec7e8", "#ffbb78", "#98df8a"];

    public static Plot NewPlot(string title, string xLabel, string yLabel)
    {
        _ = _fontsRegistered.Value;
        var plot = new Plot();
        plot.Font.Set(FontFamily);
        plot.Legend.FontName = FontFamily;
        plot.Title(title, size: 15);
        plot.XLabel(xLabel, size: 13);
        plot.YLabel(yLabel, size: 13);
        return plot;
    }

    /// <summary>
    /// A title broken at spaces into lines of at most <paramref name="maxCharacters"/> (about 430 pixels at 15 px).
    /// ScottPlot centres the title over the data area, not the canvas, so a title that grows with its data (the trial
    /// list of a comparison) beside a wide legend would run off the canvas's left edge.
    /// </summary>
    internal static string Wrapped(string title, int maxCharacters = 50)
    {
        var lines = new List<string>();
        foreach (var paragraph in title.Split('\n'))
        {
            var line = "";
            foreach (var word in Unbreakable(paragraph, maxCharacters))
            {
                if (line.Length > 0 && line.Length + 1 + word.Length > maxCharacters)
                {
                    lines.Add(line);
                    line = word;
                }
                else line = line.Length == 0 ? word : line + " " + word;
            }
            lines.Add(line);
        }
        return string.Join('\n', lines);
    }

    /// <summary>
    /// The paragraph's words, except that a parenthesised part that fits on a line is one piece: the line then breaks
    /// before "(trained epochs)" rather than inside it, which read as "(trained" over "epochs)". A longer
    /// parenthesis breaks at its spaces like any other words.
    /// </summary>
    private static IEnumerable<string> Unbreakable(string paragraph, int maxCharacters)
    {
        var words = paragraph.Split(' ');
        for (var i = 0; i < words.Length; i++)
        {
            var piece = words[i];
            var depth = Depth(piece);
            var end = i;
            while (depth > 0 && end + 1 < words.Length)
            {
                end++;
                piece += " " + words[end];
                depth += Depth(words[end]);
            }
            if (words[i].StartsWith('(') && depth == 0 && piece.Length <= maxCharacters)
            {
                yield return piece;
                i = end;
            }
            else yield return words[i];
        }
    }

    private static int Depth(string word) => word.Count(c => c == '(') - word.Count(c => c == ')');

    public static Color Colour(string hex) => Color.FromHex(hex);

    /// <summary>The smallest of 1, 2 or 5 times a power of ten that is at least <paramref name="rough"/> (a tick step).</summary>
    public static double RoundStep(double rough)
    {
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        return new[] { 1.0, 2.0, 5.0, 10.0 }.Select(f => f * magnitude).First(s => s >= rough);
    }

    /// <summary>
    /// The plot as a figure named <paramref name="name"/>: SVG for a .svg name (through <see cref="PortableSvg"/>), PNG for
    /// .png, with <paramref name="data"/> (the chart's numbers, <see cref="DataText"/>) beside it.
    /// </summary>
    public static FigureFile Render(Plot plot, string name, int width, int height, string? data)
    {
        FitColourBars(plot, width, height);
        var content = Path.GetExtension(name).ToLowerInvariant() switch
        {
            ".svg" => PortableSvg.Encode(plot.GetSvgXml(width, height)),
            ".png" => plot.GetImage(width, height).GetImageBytes(ImageFormat.Png, 100),
            _ => throw new ArgumentException($"charts are drawn as .svg or .png, not '{name}'"),
        };
        return new FigureFile(name, content, data);
    }

    // Pixels between a colour bar's widest tick label and its label.
    private const float ColourBarLabelGap = 6;

    /// <summary>
    /// Makes each colour bar wide enough for its tick labels, so its label clears them. ScottPlot sizes a colour bar from
    /// ticks made for a guessed 600-pixel bar and then draws the ticks of the real one, whose labels can be wider
    /// ("-0.05" where the guess had "-0.5"): the bar's label, placed by the guessed width, then overlapped them. One
    /// render in memory makes the real ticks; the bar's panel is then given their width.
    /// </summary>
    private static void FitColourBars(Plot plot, int width, int height)
    {
        var bars = plot.Axes.GetPanels().OfType<ScottPlot.Panels.ColorBar>().ToList();
        if (bars.Count == 0) return;
        plot.RenderInMemory(width, height);
        using var paint = Paint.NewDisposablePaint();
        foreach (var bar in bars) bar.MinimumSize = bar.Width + bar.Axis.Measure(paint) + ColourBarLabelGap;
    }

    /// <summary>The numbers behind a chart as the JSON written beside it (<c>loss.svg</c> → <c>loss.json</c>), so they are scriptable.</summary>
    public static string DataText<T>(T chart) => System.Text.Json.JsonSerializer.Serialize(chart, TrialFigures.Json) + "\n";

    public static string DataPath(string chartPath) => Path.ChangeExtension(chartPath, ".json");
}
