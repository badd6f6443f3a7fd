using System.Diagnostics;
using System.Runtime.InteropServices;
using Experiments.Datasets;
using Experiments.Visualization.Data;
using Experiments.Visualization.Tests.Support;
using Xunit;

namespace Experiments.Visualization.Tests;

public sealed class Computing_pixel_covariance : IDisposable
{
    private readonly TemporaryDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData(CovarianceChannels.Grey, 3)]
    [InlineData(CovarianceChannels.All, 3)]
    [InlineData(CovarianceChannels.Grey, 1)]
    public void The_covariance_equals_numpy_cov(CovarianceChannels mode, int channels)
    {
        var images = SyntheticDataset.Generate(60, seed: 5, new SyntheticOptions(Channels: channels, Height: 8, Width: 8, Classes: 3));

        // Sampling all 60 images: the covariance does not depend on their order, so numpy can take them as stored.
        var ours = PixelCovariance.Of(images, sampleSize: 60, mode);
        var numpy = NumpyCov(images, mode);

        Assert.Equal(numpy.Length, ours.Values.Length);
        Assert.Equal(mode == CovarianceChannels.All ? channels * 64 : 64, ours.Dimension);
        for (var i = 0; i < numpy.Length; i++) Assert.Equal(numpy[i], ours.Values[i], 1e-12);
    }

    [Fact]
    public void A_sample_is_a_seeded_subset_and_the_picture_has_a_square_of_pixels_per_entry_coloured_by_sign()
    {
        var images = SyntheticDataset.Generate(200, seed: 6, new SyntheticOptions(Channels: 1, Height: 8, Width: 8, Classes: 4));

        var first = PixelCovariance.Of(images, 50, seed: 1);
        var again = PixelCovariance.Of(images, 50, seed: 1);
        var other = PixelCovariance.Of(images, 50, seed: 2);
        var path = _folder.File("cov.png");
        Charts.CovarianceChart.Write(first, "covariance", path);
        var decoded = PngOracle.Decode(path);

        Assert.Equal(50, first.Samples);
        Assert.Equal(first.Values, again.Values);
        Assert.NotEqual(first.Values, other.Values);
        // 64 variables on the 512-pixel minimum side: 8×8 pixels per entry, inside 90 pixels left and 50 above
        // (docs/visualization.md: the figure is side + 260 by side + 120).
        Assert.Equal((512 + 260, 512 + 120), (decoded.Width, decoded.Height));
        var frame = decoded.Frames[0];
        (byte R, byte G, byte B) Entry(int row, int column) => frame.Rgb(90 + column * 8 + 4, 50 + row * 8 + 4, decoded.Channels);
        // The diagonal holds variances (≥ 0): never blue. The largest |entry| takes the map's end colour, red or blue by its sign.
        Assert.All(Enumerable.Range(0, 64), i => Assert.True(Entry(i, i).R >= Entry(i, i).B, $"{i}: {Entry(i, i)}"));
        var largest = Array.IndexOf(first.Values, first.Values.MaxBy(Math.Abs));
        var end = new ScottPlot.Colormaps.Balance().GetColor(first.Values[largest] > 0 ? 1.0 : 0.0);
        var pixel = Entry(largest / 64, largest % 64);
        Assert.Equal((end.R, end.G, end.B), (pixel.R, pixel.G, pixel.B));
    }

    [Fact]
    public void The_command_writes_the_covariance_of_a_dataset_sample_as_a_picture()
    {
        // The synthetic dataset is generated in memory: 1×28×28, so 784 grey variables, one pixel each.
        var run = CliProcess.RunIn(_folder.Path, "viz", "covariance", "--dataset", "synthetic", "--sample", "300", "--out", _folder.File("cov"));

        Assert.True(run.ExitCode == 0, run.All);
        Assert.Equal(2, run.Lines.Count);
        Assert.EndsWith("covariance-synthetic.png", run.Lines[0]);
        var decoded = PngOracle.Decode(run.Lines[0]);
        Assert.Equal((784 + 260, 784 + 120), (decoded.Width, decoded.Height)); // one pixel per entry, and room for axes and the colour bar
        Assert.True(decoded.Frames[0].Min < decoded.Frames[0].Max, "every pixel has the same value");
        Assert.Contains("784×784 covariance of 300 images", run.Error);
    }

    [Fact]
    public void The_command_writes_the_covariance_it_draws_as_json_beside_the_picture()
    {
        var run = CliProcess.RunIn(_folder.Path, "viz", "covariance", "--dataset", "synthetic", "--sample", "40", "--seed", "3", "--out", _folder.File("cov"));

        Assert.True(run.ExitCode == 0, run.All);
        Assert.Equal([_folder.File("cov/covariance-synthetic.png"), _folder.File("cov/covariance-synthetic.json")], run.Lines);
        // The same seeded sample of the same training images: the numbers the picture was drawn from (numpy-checked above).
        var (train, _) = DatasetCatalog.LoadTrainAndTest("synthetic", _folder.Path);
        var expected = PixelCovariance.Of(train, 40, CovarianceChannels.Grey, seed: 3);
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(run.Lines[1]));
        var root = json.RootElement;
        Assert.Equal((40, 28, 28, 784), (root.GetProperty("samples").GetInt32(), root.GetProperty("height").GetInt32(), root.GetProperty("width").GetInt32(), root.GetProperty("dimension").GetInt32()));
        var rows = root.GetProperty("covariance").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToList();
        Assert.Equal(784, rows.Count);
        Assert.Equal(expected.Values, rows.SelectMany(r => r));
    }

    private double[] NumpyCov(LabelledImages images, CovarianceChannels mode)
    {
        var input = _folder.File("images.f32");
        var output = _folder.File("cov.f64");
        File.WriteAllBytes(input, MemoryMarshal.AsBytes(images.Pixels.AsSpan()).ToArray());
        var shape = images.SampleShape.Dims;
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardError = true };
        foreach (var argument in new[] { Path.Combine(Repository.Root(), "tests", "Visualization.Tests", "oracle", "covariance.py"), input, output,
                     images.Count.ToString(), shape[0].ToString(), shape[1].ToString(), shape[2].ToString(), mode == CovarianceChannels.Grey ? "grey" : "all" })
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, error);
        return MemoryMarshal.Cast<byte, double>(File.ReadAllBytes(output)).ToArray();
    }
}
