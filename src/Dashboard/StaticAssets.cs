using System.Collections.Frozen;
using Microsoft.AspNetCore.Http;

namespace Experiments.Dashboard;

/// <summary>
/// The pages, script, style and chart library, embedded in this assembly (wwwroot/ and uPlot from client/node_modules)
/// and served from the dashboard's own origin: the page makes no request off the machine.
/// </summary>
internal static class StaticAssets
{
    private const string Prefix = "assets/";

    private static readonly FrozenDictionary<string, (byte[] Bytes, string ContentType)> Assets = Load();

    private static FrozenDictionary<string, (byte[], string)> Load()
    {
        var assembly = typeof(StaticAssets).Assembly;
        var assets = new Dictionary<string, (byte[], string)>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(r => r.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            assets[resource[Prefix.Length..]] = (copy.ToArray(), ContentType(resource));
        }
        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static string ContentType(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        _ => "text/plain; charset=utf-8",
    };

    public static IResult Serve(string name) =>
        Assets.TryGetValue(name, out var asset) ? Results.Bytes(asset.Bytes, asset.ContentType) : Results.NotFound();
}
