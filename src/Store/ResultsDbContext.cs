using System.Text;
using Microsoft.EntityFrameworkCore;

namespace Experiments.Store;

// EF Core entities mapped onto the hand-written schema (Migrations/*.sql), for reads and LINQ queries.
// The schema is owned by the SQL migrations, never by EF: do not call EnsureCreated or Migrate on this context.
// Hot writes (epochs, weight tensors) go through Npgsql directly in ResultsStore.

public sealed class SweepEntity
{
    public long Id { get; set; }
    public string Name { get; set; } = "";
    public string Spec { get; set; } = "{}";
    public DateTimeOffset CreatedAt { get; set; }
}

public sealed class TrialEntity
{
    public long Id { get; set; }
    public long? SweepId { get; set; }
    public string Architecture { get; set; } = "";
    public string ArchitectureSpec { get; set; } = "{}";
    public string Dataset { get; set; } = "";
    public string Hyperparameters { get; set; } = "{}";
    public long Seed { get; set; }
    public string Status { get; set; } = "queued";
    public int Attempts { get; set; }
    public string? Worker { get; set; }
    public string? Error { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public int? TrainImages { get; set; }
    public int? ValImages { get; set; }
    public int? TestImages { get; set; }
    public string? CodeVersion { get; set; }
    public string? Host { get; set; }
}

public sealed class EpochEntity
{
    public long TrialId { get; set; }
    public int Epoch { get; set; }
    public double LearningRate { get; set; }
    public double? TrainLoss { get; set; }
    public double? TrainAccuracy { get; set; }
    public int? TrainSamples { get; set; }
    public double? ValLoss { get; set; }
    public double? ValAccuracy { get; set; }
    public int? ValSamples { get; set; }
    public double? TestLoss { get; set; }
    public double? TestAccuracy { get; set; }
    public int? TestSamples { get; set; }
    public double Seconds { get; set; }
    public double ImagesPerSecond { get; set; }
    public DateTimeOffset RecordedAt { get; set; }
}

public sealed class WeightTensorEntity
{
    public long TrialId { get; set; }
    public int Epoch { get; set; }
    public int Ordinal { get; set; }
    public string Name { get; set; } = "";
    public int[] Shape { get; set; } = [];
    public string Dtype { get; set; } = "float32";
    public byte[] Bytes { get; set; } = [];
    public byte[] Checksum { get; set; } = [];
}

public sealed class EpochArtifactEntity
{
    public long TrialId { get; set; }
    public int Epoch { get; set; }
    public string Split { get; set; } = "";
    public string Kind { get; set; } = "";
    public string Data { get; set; } = "{}";
    public DateTimeOffset RecordedAt { get; set; }
}

public sealed class WorkerEntity
{
    public string Name { get; set; } = "";
    public string Host { get; set; } = "";
    public int Slots { get; set; }
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset LastHeartbeat { get; set; }
}

public sealed class WorkerHeartbeatEntity
{
    public string Worker { get; set; } = "";
    public DateTimeOffset At { get; set; }
    public int BusySlots { get; set; }
    public long[] TrialIds { get; set; } = [];
}

/// <summary>A row of the trial_summary view.</summary>
public sealed class TrialSummaryEntity
{
    public long TrialId { get; set; }
    public long? SweepId { get; set; }
    public string Architecture { get; set; } = "";
    public string Dataset { get; set; } = "";
    public string Hyperparameters { get; set; } = "{}";
    public long Seed { get; set; }
    public string Status { get; set; } = "queued";
    public int Attempts { get; set; }
    public string? Worker { get; set; }
    public string? Error { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public int EpochsRecorded { get; set; }
    public int? BestEpoch { get; set; }
    public double? BestValAccuracy { get; set; }
    public double? ValLossAtBest { get; set; }
    public double? TestAccuracyAtBest { get; set; }
    public double? TestLossAtBest { get; set; }
    public int EpochsTrained { get; set; }
    public int? TrainImages { get; set; }
    public int? ValImages { get; set; }
    public int? TestImages { get; set; }
    public string? CodeVersion { get; set; }
    public string? Host { get; set; }
}

/// <summary>A row of the epoch_metrics_long view.</summary>
public sealed class EpochMetricEntity
{
    public long TrialId { get; set; }
    public int Epoch { get; set; }
    public string Split { get; set; } = "";
    public string Metric { get; set; } = "";
    public double Value { get; set; }
}

public sealed class ResultsDbContext(DbContextOptions<ResultsDbContext> options) : DbContext(options)
{
    public DbSet<SweepEntity> Sweeps => Set<SweepEntity>();
    public DbSet<TrialEntity> Trials => Set<TrialEntity>();
    public DbSet<EpochEntity> Epochs => Set<EpochEntity>();
    public DbSet<WeightTensorEntity> WeightTensors => Set<WeightTensorEntity>();
    public DbSet<EpochArtifactEntity> EpochArtifacts => Set<EpochArtifactEntity>();
    public DbSet<WorkerEntity> Workers => Set<WorkerEntity>();
    public DbSet<WorkerHeartbeatEntity> WorkerHeartbeats => Set<WorkerHeartbeatEntity>();
    public DbSet<TrialSummaryEntity> TrialSummaries => Set<TrialSummaryEntity>();
    public DbSet<EpochMetricEntity> EpochMetrics => Set<EpochMetricEntity>();

    protected override void OnModelCreating(ModelBuilder model)
    {
        model.Entity<SweepEntity>(e =>
        {
            e.ToTable("sweeps");
            e.HasKey(x => x.Id);
            e.Property(x => x.Spec).HasColumnType("jsonb");
        });
        model.Entity<TrialEntity>(e =>
        {
            e.ToTable("trials");
            e.HasKey(x => x.Id);
            e.Property(x => x.ArchitectureSpec).HasColumnType("jsonb");
            e.Property(x => x.Hyperparameters).HasColumnType("jsonb");
        });
        model.Entity<EpochEntity>(e =>
        {
            e.ToTable("epochs");
            e.HasKey(x => new { x.TrialId, x.Epoch });
        });
        model.Entity<WeightTensorEntity>(e =>
        {
            e.ToTable("weight_tensors");
            e.HasKey(x => new { x.TrialId, x.Epoch, x.Name });
        });
        model.Entity<EpochArtifactEntity>(e =>
        {
            e.ToTable("epoch_artifacts");
            e.HasKey(x => new { x.TrialId, x.Epoch, x.Split, x.Kind });
            e.Property(x => x.Data).HasColumnType("jsonb");
        });
        model.Entity<WorkerEntity>(e =>
        {
            e.ToTable("workers");
            e.HasKey(x => x.Name);
        });
        model.Entity<WorkerHeartbeatEntity>(e =>
        {
            e.ToTable("worker_heartbeats");
            e.HasKey(x => new { x.Worker, x.At });
        });
        model.Entity<TrialSummaryEntity>(e =>
        {
            e.ToView("trial_summary");
            e.HasNoKey();
            e.Property(x => x.Hyperparameters).HasColumnType("jsonb");
        });
        model.Entity<EpochMetricEntity>(e =>
        {
            e.ToView("epoch_metrics_long");
            e.HasNoKey();
        });

        // The schema is snake_case throughout; the entities are PascalCase.
        foreach (var entity in model.Model.GetEntityTypes())
            foreach (var property in entity.GetProperties())
                property.SetColumnName(SnakeCase(property.Name));
    }

    internal static string SnakeCase(string name)
    {
        var builder = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                if (i > 0) builder.Append('_');
                builder.Append(char.ToLowerInvariant(c));
            }
            else builder.Append(c);
        }
        return builder.ToString();
    }
}
