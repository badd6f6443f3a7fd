using Experiments.Datasets;
using Experiments.Store;

namespace Experiments.Dashboard;

/// <summary>
/// What a dashboard serves and who may see it.
/// </summary>
/// <param name="Store">
/// The results store it reads, opened read-only (<see cref="ResultsStoreOptions.ReadOnly"/>); the caller owns and disposes it.
/// </param>
/// <param name="Token">
/// When set (a dashboard bound beyond loopback), every request must carry it, as <c>?token=…</c> once and then the
/// cookie that visit sets; without it the answer is 403. Null: no check (loopback only).
/// </param>
public sealed record DashboardOptions(ResultsStore Store, string? Token)
{
    /// <summary>How often the live feed looks for new epochs and status changes; a change reaches the page within about twice this.</summary>
    public TimeSpan ChangePollInterval { get; init; } = TimeSpan.FromSeconds(0.5);

    /// <summary>Pictures kept in memory (each one figure of one layer, image or split at one epoch, tens of kilobytes).</summary>
    public int CachedPictures { get; init; } = 256;

    /// <summary>The SQL page's statement timeout: a query still running then is cancelled by the server.</summary>
    public TimeSpan SqlTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The most rows the SQL page shows (and its CSV holds) for one query.</summary>
    public int SqlMaxRows { get; init; } = 10_000;

    /// <summary>The most bytes of values (UTF-16) the SQL page returns for one query.</summary>
    public long SqlMaxBytes { get; init; } = 16L << 20;

    /// <summary>Where the datasets are cached (<c>data fetch</c>), for the pictures of one image: <c>$EXPERIMENTS_HOME</c> unless told.</summary>
    public string DatasetHome { get; init; } = ExperimentsHome.Resolve();
}
