using Npgsql;

namespace Experiments.Store;

/// <summary>
/// Converts between the two ways people write a PostgreSQL connection: the URI that psql, libpq, SQLAlchemy and
/// Grafana take (<c>postgresql://user:password@host:port/database</c>) and Npgsql's key=value form.
/// </summary>
public static class ConnectionStrings
{
    /// <summary>Npgsql's form of either kind of connection string.</summary>
    public static string ToNpgsql(string connection)
    {
        if (!connection.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) &&
            !connection.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
            return connection;
        var uri = new Uri(connection);
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')) is { Length: > 0 } database ? database : null,
        };
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            builder.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2) builder.Password = Uri.UnescapeDataString(parts[1]);
        }
        return builder.ConnectionString;
    }

    /// <summary>The libpq URI of an Npgsql connection string, for psql and other tools.</summary>
    public static string ToUri(string connection)
    {
        var builder = new NpgsqlConnectionStringBuilder(ToNpgsql(connection));
        var user = builder.Username is { Length: > 0 } name
            ? Uri.EscapeDataString(name) + (builder.Password is { Length: > 0 } password ? ":" + Uri.EscapeDataString(password) : "") + "@"
            : "";
        return $"postgresql://{user}{builder.Host}:{builder.Port}/{Uri.EscapeDataString(builder.Database ?? "postgres")}";
    }
}
