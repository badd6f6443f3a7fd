using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using CsvHelper;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Experiments.Dashboard.Tests;

/// <summary>
/// The trial page's export buttons: the safetensors of a chosen epoch loads into PyTorch as exactly the stored
/// tensors, and the CSV holds every stored epoch's figures, byte for byte what <c>results export</c> writes.
/// </summary>
[Collection(RecordedSweepDashboard.Collection)]
public sealed class Downloading_a_trials_exports(RecordedSweepDashboard dashboard)
{
    [Fact]
    public async Task The_weights_of_the_chosen_epoch_load_into_pytorch_as_exactly_the_stored_tensors()
    {
        var trial = dashboard.Trial("lenet-matconvnet", 1e-3);
        var watched = await dashboard.OpenAsync($"/trials/{trial}");
        var page = watched.Page;
        // The untrained model: neither the best nor the latest epoch, so the choice is what picks it.
        await Expect(page.Locator("#export-epoch option")).ToHaveTextAsync([new Regex(@"^best \(epoch \d\)$"), new Regex(@"^0 \(untrained\)$"), new Regex("^1$"), new Regex("^2$")]);
        await page.Locator("#export-epoch").SelectOptionAsync("0");
        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#export-weights").ClickAsync());
        Assert.Equal($"trial-{trial}-epoch-0.safetensors", download.SuggestedFilename);
        var file = Path.Combine(dashboard.Cli.Home, $"download-{trial}.safetensors");
        await download.SaveAsAsync(file);

        var pytorch = PythonOracle.Run("state_dict_digest.py", file);
        Assert.Equal(0, pytorch.GetProperty("epoch").GetInt32());
        var loaded = pytorch.GetProperty("tensors").EnumerateObject()
            .ToDictionary(t => t.Name, t => (Shape: string.Join('×', t.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32())),
                Sha256: t.Value.GetProperty("sha256").GetString()));
        var stored = (await dashboard.ReadOnlyStore.ReadSnapshotAsync(trial, 0))
            .Where(t => !t.Name.StartsWith(Store.ResultsStore.OptimizerTensorPrefix, StringComparison.Ordinal))
            .ToDictionary(t => t.Name, t => (Shape: string.Join('×', t.Shape), Sha256: (string?)Convert.ToHexStringLower(SHA256.HashData(t.Data))));
        Assert.NotEmpty(stored);
        Assert.Equal(stored.OrderBy(t => t.Key), loaded.OrderBy(t => t.Key));
        Assert.DoesNotContain(watched.Errors, e => !e.Contains("/weights.safetensors", StringComparison.Ordinal));
        await page.CloseAsync();
    }

    [Fact]
    public async Task The_epoch_metrics_csv_holds_every_stored_epoch_as_results_export_writes_it()
    {
        var trial = dashboard.Trial("ffnn-100", 3e-3);
        var watched = await dashboard.OpenAsync($"/trials/{trial}");
        var page = watched.Page;
        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#export-csv").ClickAsync());
        Assert.Equal($"trial-{trial}-epochs.csv", download.SuggestedFilename);
        using var reader = new StreamReader(await download.CreateReadStreamAsync());
        var text = await reader.ReadToEndAsync();

        using var csv = new CsvReader(new StringReader(text), CultureInfo.InvariantCulture);
        await csv.ReadAsync();
        csv.ReadHeader();
        var rows = new List<(int Epoch, double? TrainLoss, double? ValAccuracy, double? TestAccuracy, string Architecture)>();
        while (await csv.ReadAsync())
            rows.Add((csv.GetField<int>("epoch"), Number(csv.GetField("train_loss")), Number(csv.GetField("val_accuracy")),
                Number(csv.GetField("test_accuracy")), csv.GetField("architecture")!));
        var epochs = await dashboard.ReadOnlyStore.GetEpochsAsync(trial);
        // Epoch 0 (the untrained model, with no train figures), 1 and 2, each figure the double the store holds.
        Assert.Equal(epochs.Select(e => (e.Epoch, e.Train?.Loss, e.Validation?.Accuracy, e.Test?.Accuracy, "ffnn-100")), rows);
        Assert.Equal(3, rows.Count);

        var cli = dashboard.Cli.Run("results", "export", "--format", "csv", "--trial", trial.ToString(CultureInfo.InvariantCulture));
        Assert.True(cli.ExitCode == 0, cli.All);
        Assert.Equal(cli.Output, text);
        Assert.DoesNotContain(watched.Errors, e => !e.Contains("/epochs.csv", StringComparison.Ordinal));
        await page.CloseAsync();
    }

    [Fact]
    public async Task Weights_of_an_epoch_without_a_snapshot_are_a_404_that_names_the_stored_epochs()
    {
        var trial = dashboard.Trial("ffnn-100", 1e-3);
        using var client = new HttpClient { BaseAddress = new Uri(dashboard.Url) };
        var response = await client.GetAsync($"/api/trials/{trial}/weights.safetensors?epoch=7");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains($"trial {trial} has no epoch 7; its recorded epochs are 0–2", await response.Content.ReadAsStringAsync());
    }

    private static double? Number(string? field) => string.IsNullOrEmpty(field) ? null : double.Parse(field, CultureInfo.InvariantCulture);
}
