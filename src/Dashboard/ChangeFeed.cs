using System.Runtime.CompilerServices;

namespace Experiments.Dashboard;

/// <summary>
/// One poll of the database for every open page: while at least one page listens, a single loop reads the change
/// fingerprint every <see cref="DashboardOptions.ChangePollInterval"/> and hands each new one to every listener, so
/// N open pages cost one query per interval, not N. With no listener it stops.
/// </summary>
/// <remarks>
/// The store does not notify (no LISTEN/NOTIFY: workers write epochs, heartbeats and statuses from any machine, and a
/// trigger on every heartbeat would cost them), so polling stays, shared. A failed poll (the database restarting) is
/// retried at the next interval; listeners just hear nothing until it answers again.
/// </remarks>
internal sealed class ChangeFeed(DashboardReader reader, DashboardOptions options, TimeProvider time) : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _disposed = new();
    private int _listeners;
    private CancellationTokenSource? _polling;
    private string? _latest;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// The fingerprint now (once the first poll has answered) and every later one that differs, until
    /// <paramref name="ct"/> is cancelled. A slow listener skips to the latest: it only needs to know something changed.
    /// </summary>
    public async IAsyncEnumerable<string> ListenAsync([EnumeratorCancellation] CancellationToken ct)
    {
        Join();
        try
        {
            string? sent = null;
            while (!ct.IsCancellationRequested)
            {
                Task changed;
                string? latest;
                lock (_gate) (latest, changed) = (_latest, _changed.Task);
                if (latest is not null && latest != sent)
                {
                    sent = latest;
                    yield return latest;
                    continue;
                }
                await changed.WaitAsync(ct);
            }
        }
        finally
        {
            Leave();
        }
    }

    private void Join()
    {
        lock (_gate)
        {
            if (_listeners++ > 0) return;
            _polling = CancellationTokenSource.CreateLinkedTokenSource(_disposed.Token);
            var token = _polling.Token;
            _ = Task.Run(() => PollAsync(token), CancellationToken.None);
        }
    }

    private void Leave()
    {
        lock (_gate)
        {
            if (--_listeners > 0) return;
            _polling?.Cancel();
            _polling?.Dispose();
            _polling = null;
            // The next first listener must not be handed a fingerprint from before it came.
            _latest = null;
            reader.ObserveFingerprint(null);
        }
    }

    private async Task PollAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var now = await reader.ChangeFingerprintAsync(ct);
                TaskCompletionSource? wake = null;
                lock (_gate)
                    if (!ct.IsCancellationRequested && now != _latest)
                    {
                        _latest = now;
                        reader.ObserveFingerprint(now);
                        (wake, _changed) = (_changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                    }
                wake?.SetResult();
                await Task.Delay(options.ChangePollInterval, time, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // The database is away; ask again at the next interval.
                try { await Task.Delay(options.ChangePollInterval, time, ct); }
                catch (OperationCanceledException) { return; }
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        _disposed.Cancel();
        _disposed.Dispose();
        return ValueTask.CompletedTask;
    }
}
