using Experiments.Visualization.Imaging;
using SkiaSharp;

namespace Experiments.Visualization.Pictures;

/// <summary>A column of tiles shown together under one label, e.g. the input channels of one filter.</summary>
/// <param name="TileLabels">Optional label over each tile (channel indices); null for none.</param>
public sealed record GridGroup(string Label, IReadOnlyList<GridTile?> Tiles, IReadOnlyList<string>? TileLabels = null);

/// <summary>One labelled block of the grid, e.g. one epoch: its lines of groups, the label (and an optional second line) at its left.</summary>
public sealed record GridPanel(string Label, string? SubLabel, IReadOnlyList<IReadOnlyList<GridGroup>> Lines);

/// <summary>
/// What colour means in a picture: the map drawn as a vertical bar, the value of its top, middle and bottom, and a
/// caption saying what the scale is (e.g. "each filter to its own range"). With <paramref name="CaptionOnly"/>, only the
/// caption is drawn, in the bar's place: a picture with no colours to read (a blank map) says so there, and keeps the
/// width of its kind.
/// </summary>
public sealed record ColourBar(ColorMap Map, string Top, string Bottom, string Caption, string? Middle = null, bool CaptionOnly = false)
{
    /// <summary>A note in the colour bar's place, for a picture whose colours mean nothing.</summary>
    public static ColourBar Note(string caption) => new(ColorMap.Grey, "", "", caption, CaptionOnly: true);
}

/// <summary>
/// The geometry of a labelled grid, in pixels. Tiles are all <see cref="TileWidth"/>×<see cref="TileHeight"/>. A line
/// holds groups of <see cref="GroupTiles"/> tiles each, <see cref="TileGap"/> apart inside a group and
/// <see cref="GroupGap"/> between groups, under a header band with the group labels (and a band of tile labels when
/// <see cref="TileLabels"/>). A panel is <see cref="Lines"/> lines <see cref="LineGap"/> apart, with its label in a
/// column <see cref="LabelColumnWidth"/> wide at its left; panels are <see cref="PanelGap"/> apart, under a title band.
/// A colour bar, when there is one, takes <see cref="BarAreaWidth"/> at the right, its caption under it; beside a grid
/// shorter than that (<see cref="CompactBar"/>: one strip of small tiles, such as one epoch's kernels) the bar is as
/// tall as the tiles and its caption stands to the right of its labels, so no empty band runs under the tiles.
/// <para>Width = max(2·Margin + LabelColumnWidth + line width + bar area, 2·Margin + title width);
/// Height = 2·Margin + TitleHeight + max(Panels·panel height + (Panels − 1)·PanelGap, bar area height).</para>
/// </summary>
/// <param name="PanelLabelWidth">The widest panel label or second line, in pixels as drawn (<see cref="PictureText.Width"/>).</param>
/// <param name="CompactBarLength">The length of a compact colour bar (0: the bar is not compact), as above: as tall as
/// the whole grid's tiles, decided for the whole grid, so an animation's one-panel frames keep the grid's bar and width.</param>
/// <param name="BarLabelWidth">The widest of the colour bar's value labels, in pixels as drawn.</param>
public sealed record GridLayout(int TileWidth, int TileHeight, IReadOnlyList<int> GroupTiles, int Lines, int Panels, bool TileLabels, bool HasColourBar, int TitleWidth,
    int PanelLabelWidth = 0, int CompactBarLength = 0, int BarLabelWidth = 0)
{
    public const int Margin = 6;
    public const int TitleHeight = 22;
    /// <summary>The narrowest column of panel labels: "epoch 10" and a value range fit it.</summary>
    public const int RowLabelWidth = 84;

    /// <summary>Pixels kept between the end of the widest panel label and the first tile.</summary>
    public const int LabelGap = 6;
    public const int GroupLabelHeight = 15;
    public const int TileLabelHeight = 12;
    public const int TileGap = 1;
    public const int GroupGap = 6;
    public const int LineGap = 4;
    public const int PanelGap = 10;
    public const int BarAreaWidth = 150;
    public const int BarLength = 100;
    public const int BarThickness = 14;

    /// <summary>The colour bar's label above, the bar, and three lines of caption below.</summary>
    public const int BarAreaHeight = 14 + BarLength + 8 + 3 * 13;

    /// <summary>The width a caption's lines wrap to.</summary>
    public const int CaptionWidth = BarAreaWidth - 14;

    /// <summary>A compact bar is never shorter than this, however small the tiles.</summary>
    public const int CompactBarMinLength = 40;

    /// <summary>The room a compact bar keeps for its value labels ("12.6 (peak)" fits), so bars of one kind line up.</summary>
    public const int CompactLabelWidth = 72;

    /// <summary>Whether the colour bar stands beside a grid shorter than its usual area, its caption at its right.</summary>
    public bool CompactBar => CompactBarLength > 0;

    /// <summary>The bar's length: <see cref="BarLength"/>, or <see cref="CompactBarLength"/> in a compact layout.</summary>
    public int BarDrawnLength => CompactBar ? CompactBarLength : BarLength;

    /// <summary>The top of the bar: level with the first tiles in a compact layout, else under room for a label.</summary>
    public int BarTop => Margin + TitleHeight + (CompactBar ? HeaderHeight : 14);

    /// <summary>The left edge of the bar.</summary>
    public int BarLeft => GridRight + Margin + 12;

    /// <summary>Where a compact bar's caption starts: right of the bar's value labels.</summary>
    public int CompactCaptionLeft => BarLeft + BarThickness + 5 + Math.Max(CompactLabelWidth, BarLabelWidth) + 8;

    /// <summary>The colour bar's area: <see cref="BarAreaWidth"/>, or in a compact layout the bar, its labels and the caption beside them.</summary>
    public int BarArea => !HasColourBar ? 0 : CompactBar ? CompactCaptionLeft + CaptionWidth + Margin - (GridRight + Margin) : BarAreaWidth;

    /// <summary>The colour bar's height under the title: the tall bar with the caption below, or the compact bar beside its three caption lines.</summary>
    public int BarHeight => !HasColourBar ? 0 : CompactBar ? HeaderHeight + Math.Max(BarDrawnLength + 4, 3 * 13 + 4) : BarAreaHeight;

    public int HeaderHeight => GroupLabelHeight + (TileLabels ? TileLabelHeight : 0);
    public int GroupWidth(int group) => GroupTiles[group] * TileWidth + (GroupTiles[group] - 1) * TileGap;
    public int LineWidth => Enumerable.Range(0, GroupTiles.Count).Sum(GroupWidth) + (GroupTiles.Count - 1) * GroupGap;
    public int LineHeight => HeaderHeight + TileHeight;
    public int PanelHeight => Lines * LineHeight + (Lines - 1) * LineGap;
    public int ContentHeight => Panels * PanelHeight + (Panels - 1) * PanelGap;
    /// <summary>
    /// The column of panel labels: <see cref="RowLabelWidth"/>, or wider when a label needs it (a Fashion-MNIST panel's
    /// "true 9 (Ankle boot)"), so no label runs under the tiles.
    /// </summary>
    public int LabelColumnWidth => Math.Max(RowLabelWidth, PanelLabelWidth + LabelGap);

    public int GridRight => Margin + LabelColumnWidth + LineWidth;

    public int Width => Math.Max(GridRight + Margin + BarArea, 2 * Margin + TitleWidth);
    public int Height => 2 * Margin + TitleHeight + Math.Max(ContentHeight, BarHeight);

    /// <summary>The left edge of tile <paramref name="tile"/> of group <paramref name="group"/> (counted within its line).</summary>
    public int TileLeft(int group, int tile)
    {
        var left = Margin + LabelColumnWidth;
        for (var g = 0; g < group; g++) left += GroupWidth(g) + GroupGap;
        return left + tile * (TileWidth + TileGap);
    }

    /// <summary>The top edge of the tiles of line <paramref name="line"/> of panel <paramref name="panel"/>.</summary>
    public int TileTop(int panel, int line) =>
        Margin + TitleHeight + panel * (PanelHeight + PanelGap) + line * (LineHeight + LineGap) + HeaderHeight;

    /// <summary>
    /// Whether a tile label (a channel index) is drawn over a tile this wide: only when it fits, so labels never run
    /// into their neighbours. The band of tile labels is only laid out when some label fits.
    /// </summary>
    public static bool TileLabelFits(string label, int tileWidth) => PictureText.Width(label, PictureText.SmallSize) + 2 <= tileWidth;

    /// <summary>The baseline of a panel's label (the top of its first line of tiles, plus one label's height).</summary>
    public int PanelLabelBaseline(int panel) => TileTop(panel, 0) + 11;

    public int TitleBaseline => Margin + 15;
}

/// <summary>
/// Draws labelled picture grids (kernels over epochs, feature maps, decoded filters, attribution panels) with
/// SkiaSharp: a title, each panel's label at its left (e.g. "epoch 3"), each group's label above it (e.g. the filter
/// index), tile labels (e.g. channel indices) where there is room, and a colour bar where colour carries a value.
/// </summary>
public static class LabelledGrid
{
    /// <summary>A mid blue-grey, so that the black and white ends of a grey tile stand out from the gaps.</summary>
    public static Rgb Background { get; } = new(70, 90, 120);

    public static Rgb TextColour { get; } = Rgb.White;

    /// <summary>
    /// The layout <see cref="Draw"/> uses for these panels. The label column fits the panels' labels, and at least
    /// <paramref name="labelWidth"/> pixels of label (so pictures whose labels differ, such as one per class, line up).
    /// </summary>
    /// <exception cref="ArgumentException">No panels, or panels or tiles of different shapes.</exception>
    public static GridLayout Layout(string title, IReadOnlyList<GridPanel> panels, int tileWidth, int tileHeight, ColourBar? bar, int labelWidth = 0)
    {
        if (panels.Count == 0) throw new ArgumentException("a grid needs at least one panel", nameof(panels));
        var lines = panels.Max(p => p.Lines.Count);
        var groupTiles = panels.SelectMany(p => p.Lines).OrderByDescending(l => l.Count).First().Select(g => g.Tiles.Count).ToList();
        var tileLabels = panels.SelectMany(p => p.Lines).SelectMany(l => l).SelectMany(g => g.TileLabels ?? []).Distinct()
            .Any(label => GridLayout.TileLabelFits(label, tileWidth));
        var widest = panels.Max(p => Math.Max(PictureText.Width(p.Label, PictureText.LabelSize), p.SubLabel is { } sub ? PictureText.Width(sub, PictureText.SmallSize) : 0));
        var layout = new GridLayout(tileWidth, tileHeight, groupTiles, lines, panels.Count, tileLabels, bar is not null, PictureText.Width(title, PictureText.TitleSize),
            Math.Max(widest, labelWidth));
        if (bar is null || layout.ContentHeight >= GridLayout.BarAreaHeight) return layout;
        var barLabels = new[] { bar.Top, bar.Middle ?? "", bar.Bottom }.Max(l => PictureText.Width(l, PictureText.SmallSize));
        // As tall as the grid's tiles below their first label band, within the bounds of a bar that can be read.
        var length = Math.Clamp(layout.ContentHeight - layout.HeaderHeight, GridLayout.CompactBarMinLength, GridLayout.BarLength);
        return layout with { CompactBarLength = length, BarLabelWidth = barLabels };
    }

    /// <summary>
    /// The whole grid: every panel, one under another. Each tile is enlarged (nearest neighbour) to
    /// <paramref name="tileWidth"/>×<paramref name="tileHeight"/>; <paramref name="labelWidth"/> as in <see cref="Layout"/>.
    /// </summary>
    public static Picture Draw(string title, IReadOnlyList<GridPanel> panels, int tileWidth, int tileHeight, ColourBar? bar = null, Rgb? background = null, int labelWidth = 0) =>
        Draw(Layout(title, panels, tileWidth, tileHeight, bar, labelWidth), title, panels, bar, background ?? Background);

    /// <summary>
    /// The whole grid (as <see cref="Draw(string, IReadOnlyList{GridPanel}, int, int, ColourBar?, Rgb?)"/>) and an
    /// animation's frames: one per panel, under the same title and with the same colour bar, so every frame says what
    /// its colours mean on the scale the grid uses. Frames share the grid's label column and lines, so all are the same size:
    /// Width as the grid's, Height = 2·Margin + TitleHeight + max(panel height, bar area height).
    /// </summary>
    public static (Picture Grid, IReadOnlyList<Picture> Frames, GridLayout Layout) DrawWithFrames(string title, IReadOnlyList<GridPanel> panels,
        int tileWidth, int tileHeight, ColourBar bar)
    {
        var layout = Layout(title, panels, tileWidth, tileHeight, bar);
        var grid = Draw(layout, title, panels, bar, Background);
        // Frames are independent pictures: drawn on every core (each thread has its own fonts, see PictureText).
        var frames = panels.AsParallel().AsOrdered().Select(p => Draw(layout with { Panels = 1 }, title, [p], bar, Background)).ToList();
        return (grid, frames, layout);
    }

    private static Picture Draw(GridLayout layout, string title, IReadOnlyList<GridPanel> panels, ColourBar? bar, Rgb background)
    {
        var picture = new Picture(layout.Width, layout.Height, background);
        var text = background == Rgb.White ? Rgb.Black : TextColour;
        PictureText.Draw(picture.Canvas, title, GridLayout.Margin, layout.TitleBaseline, PictureText.TitleSize, text.ToSkia());
        for (var p = 0; p < panels.Count; p++) DrawPanel(picture, layout, p, panels[p], text);
        if (bar is not null) DrawColourBar(picture, layout, bar, text);
        return picture;
    }

    private static void DrawPanel(Picture picture, GridLayout layout, int index, GridPanel panel, Rgb text)
    {
        var colour = text.ToSkia();
        var canvas = picture.Canvas;
        var baseline = layout.PanelLabelBaseline(index);
        PictureText.Draw(canvas, panel.Label, GridLayout.Margin, baseline, PictureText.LabelSize, colour);
        if (panel.SubLabel is { } sub) PictureText.Draw(canvas, sub, GridLayout.Margin, baseline + 14, PictureText.SmallSize, colour);
        for (var l = 0; l < panel.Lines.Count; l++)
        {
            var line = panel.Lines[l];
            var top = layout.TileTop(index, l);
            // Labels narrower than their group are all drawn; where a row of equal groups (filters) is too narrow for
            // its labels, only every step-th is, so they never overlap. Groups of different widths are few and named.
            var widest = line.Count == 0 ? 0 : line.Max(g => PictureText.Width(g.Label, PictureText.LabelSize)) + 4;
            var step = layout.GroupTiles.Distinct().Count() > 1 ? 1 : Math.Max(1, (int)Math.Ceiling((double)widest / (layout.GroupWidth(0) + GridLayout.GroupGap)));
            for (var g = 0; g < line.Count; g++)
            {
                var group = line[g];
                var left = layout.TileLeft(g, 0);
                if (g % step == 0)
                    PictureText.DrawCentred(canvas, group.Label, left + layout.GroupWidth(g) / 2, top - layout.HeaderHeight + 12, PictureText.LabelSize, colour);
                for (var t = 0; t < group.Tiles.Count; t++)
                {
                    var tileLeft = layout.TileLeft(g, t);
                    if (group.TileLabels is { } labels && GridLayout.TileLabelFits(labels[t], layout.TileWidth))
                        PictureText.DrawCentred(canvas, labels[t], tileLeft + layout.TileWidth / 2, top - 2, PictureText.SmallSize, colour);
                    if (group.Tiles[t] is { } tile) picture.Paint(tile, tileLeft, top, layout.TileWidth, layout.TileHeight);
                }
            }
        }
    }

    private static void DrawColourBar(Picture picture, GridLayout layout, ColourBar bar, Rgb text)
    {
        var colour = text.ToSkia();
        var (left, top, length) = (layout.BarLeft, layout.BarTop, layout.BarDrawnLength);
        if (bar.CaptionOnly)
        {
            DrawCaption(picture, bar.Caption, left, top + 9, colour);
            return;
        }
        // Top row is the map's end (1), bottom row its start (0).
        var values = Enumerable.Range(0, length).Select(i => (float)(1 - (i + 0.5) / length)).ToArray();
        picture.Paint(GridTile.FromValues(values, 1, length, bar.Map, 0, 1), left, top, GridLayout.BarThickness, length);
        var labelLeft = left + GridLayout.BarThickness + 5;
        PictureText.Draw(picture.Canvas, bar.Top, labelLeft, top + 9, PictureText.SmallSize, colour);
        if (bar.Middle is { } middle) PictureText.Draw(picture.Canvas, middle, labelLeft, top + length / 2 + 4, PictureText.SmallSize, colour);
        PictureText.Draw(picture.Canvas, bar.Bottom, labelLeft, top + length, PictureText.SmallSize, colour);
        if (layout.CompactBar) DrawCaption(picture, bar.Caption, layout.CompactCaptionLeft, top + 9, colour);
        else DrawCaption(picture, bar.Caption, left, top + length + 8 + 10, colour);
    }

    /// <summary>Up to three lines of caption from <paramref name="baseline"/> down.</summary>
    private static void DrawCaption(Picture picture, string caption, int left, int baseline, SKColor colour)
    {
        foreach (var line in Wrap(caption, GridLayout.CaptionWidth).Take(3))
        {
            PictureText.Draw(picture.Canvas, line, left, baseline, PictureText.SmallSize, colour);
            baseline += 13;
        }
    }

    /// <summary>Words onto lines no wider than <paramref name="width"/> pixels (a longer word gets a line of its own).</summary>
    private static IEnumerable<string> Wrap(string text, int width)
    {
        var line = "";
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = line.Length == 0 ? word : line + " " + word;
            if (line.Length > 0 && PictureText.Width(candidate, PictureText.SmallSize) > width)
            {
                yield return line;
                line = word;
            }
            else line = candidate;
        }
        if (line.Length > 0) yield return line;
    }
}
