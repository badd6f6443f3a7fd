namespace Experiments.Datasets;

/// <summary>A step of a fetch: what is happening, and how far along it is (<see cref="Total"/> is null when unknown).</summary>
public sealed record FetchProgress(string Description, long Done, long? Total);

/// <summary>
/// A dataset in place after a fetch. <see cref="AlreadyPresent"/> means nothing had to be done; <see cref="Path"/>
/// is null for the synthetic dataset, which lives only in memory.
/// </summary>
public sealed record FetchResult(string Name, string? Path, int TrainCount, int TestCount, string Source, bool AlreadyPresent);

/// <summary>Where fetches go to, and how patient they are. Tests point the CIFAR-10 URL at a loopback server.</summary>
public sealed record DatasetFetcherOptions
{
    public const string OfficialCifar10Url = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz";

    /// <summary>The published MD5 of <c>cifar-10-binary.tar.gz</c> (170,052,171 bytes), from the dataset's page.</summary>
    public const string OfficialCifar10Md5 = "c32a1d4ab5d03f1284b67883e8d87530";

    public Uri Cifar10Url { get; init; } = new(OfficialCifar10Url);
    public string Cifar10Md5 { get; init; } = OfficialCifar10Md5;

    /// <summary>Short, because an unreachable host should fail fast with the offline instructions.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A download that delivers no bytes for this long is abandoned.</summary>
    public TimeSpan DownloadIdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The npm executable, looked up on PATH.</summary>
    public string NpmCommand { get; init; } = "npm";

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
