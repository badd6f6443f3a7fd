using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Experiments.Analysis.Decoding;
using Xunit;

namespace Experiments.Worker.Tests.Decoding;

/// <summary>
/// The two operations of decoding against PyTorch (Debian's /usr/bin/python3): substitution is the transposed
/// convolution <c>F.conv_transpose2d</c> (strides and dilations included), and the unpoolings are
/// <c>F.interpolate(scale_factor, align_corners=False)</c>, whose conventions we adopted.
/// </summary>
public sealed class Substitution_and_unpooling_match_pytorch
{
    private const string Python = "/usr/bin/python3";

    private const string Script = """
        import json, sys, torch
        import torch.nn.functional as F
        request = json.load(sys.stdin)
        maps = torch.tensor(request["maps"], dtype=torch.float64).reshape(request["mapsShape"]).unsqueeze(0)
        weight = torch.tensor(request["weight"], dtype=torch.float64).reshape(request["weightShape"])
        s, d = request["stride"], request["dilation"]
        result = {"substitution": F.conv_transpose2d(maps, weight, stride=(s[0], s[1]), dilation=(d[0], d[1]))[0].flatten().tolist()}
        for mode in ["nearest", "bilinear", "bicubic"]:
            extra = {} if mode == "nearest" else {"align_corners": False}
            up = F.interpolate(maps, scale_factor=(request["factor"][0], request["factor"][1]), mode=mode, **extra)
            result[mode] = up[0].flatten().tolist()
        print(json.dumps(result))
        """;

    [Fact]
    public void Substitution_is_pytorchs_transposed_convolution_and_unpooling_its_interpolate()
    {
        var random = new Random(5);
        var maps = new FeatureMaps(3, 5, 4, Values(3 * 5 * 4, random));
        var weight = new FilterBank(3, 2, 3, 2, Values(3 * 2 * 3 * 2, random));
        var step = new Substitution(weight, StrideH: 2, StrideW: 1, DilationH: 1, DilationW: 2);
        var (factorH, factorW) = (2, 3);

        var torch = RunPyTorch(new
        {
            maps = maps.Values, mapsShape = new[] { 3, 5, 4 },
            weight = weight.Values, weightShape = new[] { 3, 2, 3, 2 },
            stride = new[] { 2, 1 }, dilation = new[] { 1, 2 }, factor = new[] { factorH, factorW },
        });

        var substituted = FilterDecoding.Substitute(maps, step);
        Assert.Equal((2, (5 - 1) * 2 + (3 - 1) + 1, (4 - 1) + (2 - 1) * 2 + 1), (substituted.Channels, substituted.Height, substituted.Width));
        AssertClose(torch.GetProperty("substitution"), substituted.Values, 1e-5);
        foreach (var (mode, method) in new[] { ("nearest", Unpooling.Nearest), ("bilinear", Unpooling.Bilinear), ("bicubic", Unpooling.Bicubic) })
        {
            var up = Upsampling.Upsample(maps, factorH, factorW, method);
            Assert.Equal((3, 10, 12), (up.Channels, up.Height, up.Width));
            AssertClose(torch.GetProperty(mode), up.Values, 1e-5);
        }
    }

    private static float[] Values(int count, Random random) => Enumerable.Range(0, count).Select(_ => (float)Math.Round(random.NextDouble() * 4 - 2, 3)).ToArray();

    private static void AssertClose(JsonElement expected, float[] actual, double tolerance)
    {
        var reference = expected.EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(reference.Length, actual.Length);
        for (var i = 0; i < actual.Length; i++)
            Assert.True(Math.Abs(reference[i] - actual[i]) <= tolerance,
                string.Create(CultureInfo.InvariantCulture, $"value {i}: PyTorch {reference[i]}, ours {actual[i]}"));
    }

    private static JsonElement RunPyTorch(object request)
    {
        Assert.True(File.Exists(Python), $"{Python} is missing; install PyTorch for Debian's python with: apt-get install python3-torch");
        var start = new ProcessStartInfo(Python, ["-c", Script])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        process.StandardInput.Write(JsonSerializer.Serialize(request));
        process.StandardInput.Close();
        var errors = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"PyTorch failed: {errors.Result}");
        return JsonDocument.Parse(output).RootElement.Clone();
    }
}
