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
    public void A_sample_is_a_seeded_subset_and_the_picture_is_one_pixel_per_entry_enlarged()
    {
        var images = SyntheticDataset.Generate(200, seed: 6, new SyntheticOptions(Channels: 1, Height: 8, Width: 8, Classes: 4));

        var first = PixelCovariance.Of(images, 50, seed: 1);
        var again = PixelCovariance.Of(images, 50, seed: 1);
        var other = PixelCovariance.Of(images, 50, seed: 2);
        var (image, maxAbs) = TrialFigures.CovarianceImage(first);
        var path = _folder.File("cov.png");
        using (image) image.WritePng(path);
        var decoded = PngOracle.Decode(path);

        Assert.Equal(50, first.Samples);
        Assert.Equal(first.Values, again.Values);
        Assert.NotEqual(first.Values, other.Values);
        Assert.Equal((256, 256), (decoded.Width, decoded.Height)); // 64×64 enlarged ×4
        // The diagonal holds variances (≥ 0): never blue. The largest |entry| takes the map's end colour.
        var diagonal = Enumerable.Range(0, 64).Select(i => decoded.Frames[0].Rgb(i * 4 + 1, i * 4 + 1, decoded.Channels)).ToList();
        Assert.All(diagonal, p => Assert.True(p.R >= p.B, $"{p}"));
        var largest = Array.IndexOf(first.Values, first.Values.MaxBy(Math.Abs));
        var (row, column) = (largest / 64, largest % 64);
        Assert.Equal(first.Values[largest] > 0 ? ((byte)0x67, (byte)0x00, (byte)0x1f) : ((byte)0x05, (byte)0x30, (byte)0x61), decoded.Frames[0].Rgb(column * 4, row * 4, decoded.Channels));
        Assert.Equal(Math.Abs(first.Values[largest]), maxAbs);
    }

    [Fact]
    public void The_command_writes_the_covariance_of_a_dataset_sample_as_a_picture()
    {
        // The synthetic dataset is generated in memory: 1×28×28, so 784 grey variables and a 784×784 picture.
        var run = CliProcess.RunIn(_folder.Path, "viz", "covariance", "--dataset", "synthetic", "--sample", "300", "--out", _folder.File("cov"));

        Assert.True(run.ExitCode == 0, run.All);
        Assert.EndsWith("covariance-synthetic.png", run.Lines.Single());
        var decoded = PngOracle.Decode(run.Lines.Single(), withPixels: false);
        Assert.Equal((784, 784), (decoded.Width, decoded.Height));
        Assert.Contains("784×784 covariance of 300 images", run.Error);
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
