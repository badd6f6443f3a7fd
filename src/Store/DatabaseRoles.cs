using Npgsql;

namespace Experiments.Store;

/// <summary>
/// Least privilege for the results database: an application role that owns the schema (coordinator, workers,
/// recording and migrations connect as it) and a read-only query role for <c>results sql</c>, the dashboard and any
/// reader. Neither is a superuser. A superuser is needed only once, to run <see cref="Script"/>: the embedded
/// instance does it itself, and <c>experiments db roles</c> prints or applies it for a database you bring.
/// The rights are documented in docs/schema.md ("Roles").
/// </summary>
public static class DatabaseRoles
{
    public const string Application = "experiments_app";
    public const string Reader = "experiments_reader";

    /// <summary>What the query role may spend per statement and idle inside a transaction (set on the role itself).</summary>
    public static readonly TimeSpan ReaderStatementTimeout = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan ReaderIdleInTransactionTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The rights that let a role escape a read-only transaction: run programs, read or write the server's files,
    /// signal other sessions, or grant itself any of these (CREATEROLE can grant the predefined roles).
    /// </summary>
    public static readonly IReadOnlyList<string> DangerousPredefinedRoles =
        ["pg_execute_server_program", "pg_read_server_files", "pg_write_server_files", "pg_signal_backend"];

    /// <summary>
    /// The idempotent SQL that creates both roles (without passwords), hands <paramref name="database"/> and every
    /// object in its public schema to the application role, and lets the query role read the tables and views and do
    /// nothing else. Run it as a superuser, connected to <paramref name="database"/>.
    /// </summary>
    public static string Script(string database)
    {
        var db = QuoteIdentifier(database);
        return $"""
            -- Roles for an Experiments results database (docs/schema.md, "Roles"). Idempotent; run as a superuser
            -- connected to the database. Then give each role a password: ALTER ROLE {Application} PASSWORD '…';
            DO $roles$
            BEGIN
                IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{Application}') THEN
                    CREATE ROLE {Application} LOGIN;
                END IF;
                IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{Reader}') THEN
                    CREATE ROLE {Reader} LOGIN;
                END IF;
            END
            $roles$;
            ALTER ROLE {Application} NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
            ALTER ROLE {Reader} NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
            ALTER ROLE {Reader} SET default_transaction_read_only = on;
            ALTER ROLE {Reader} SET statement_timeout = '{(long)ReaderStatementTimeout.TotalMilliseconds}ms';
            ALTER ROLE {Reader} SET idle_in_transaction_session_timeout = '{(long)ReaderIdleInTransactionTimeout.TotalMilliseconds}ms';

            -- The application role owns the database, so migrations run as the owner, never as a superuser.
            ALTER DATABASE {db} OWNER TO {Application};
            REVOKE ALL ON DATABASE {db} FROM PUBLIC;
            GRANT CONNECT ON DATABASE {db} TO {Reader};
            REVOKE CREATE ON SCHEMA public FROM PUBLIC;
            GRANT USAGE, CREATE ON SCHEMA public TO {Application};
            GRANT USAGE ON SCHEMA public TO {Reader};

            -- Objects an earlier superuser created (databases made before these roles existed) move to the owner.
            -- Sequences that belong to a column follow their table.
            DO $owner$
            DECLARE
                object record;
            BEGIN
                FOR object IN
                    SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
                      AND pg_get_userbyid(c.relowner) <> '{Application}'
                      AND NOT (c.relkind = 'S' AND EXISTS (
                          SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')))
                LOOP
                    EXECUTE format('ALTER %s public.%I OWNER TO {Application}',
                        CASE object.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END,
                        object.relname);
                END LOOP;
                FOR object IN
                    SELECT p.oid::regprocedure AS signature FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                    WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> '{Application}'
                LOOP
                    EXECUTE format('ALTER ROUTINE %s OWNER TO {Application}', object.signature);
                END LOOP;
            END
            $owner$;

            -- The query role reads every table and view, today's and those later migrations create, and nothing else.
            GRANT SELECT ON ALL TABLES IN SCHEMA public TO {Reader};
            ALTER DEFAULT PRIVILEGES FOR ROLE {Application} IN SCHEMA public GRANT SELECT ON TABLES TO {Reader};
            """;
    }

    /// <summary>
    /// Runs <see cref="Script"/> over <paramref name="adminConnectionString"/> (a superuser's, connected to the results
    /// database) and sets the two roles' passwords when given.
    /// </summary>
    public static async Task ApplyAsync(string adminConnectionString, string? applicationPassword, string? readerPassword, CancellationToken ct = default)
    {
        var builder = new NpgsqlConnectionStringBuilder(ConnectionStrings.ToNpgsql(adminConnectionString)) { Pooling = false };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var script = new NpgsqlCommand(Script(connection.Database), connection, transaction))
            await script.ExecuteNonQueryAsync(ct);
        foreach (var (role, password) in new[] { (Application, applicationPassword), (Reader, readerPassword) })
        {
            if (password is null) continue;
            // ALTER ROLE takes no bind parameters; format() quotes the literal on the server.
            await using var quote = new NpgsqlCommand($"SELECT format('ALTER ROLE {role} PASSWORD %L', @password)", connection, transaction);
            quote.Parameters.AddWithValue("password", password);
            var statement = (string)(await quote.ExecuteScalarAsync(ct))!;
            await using var alter = new NpgsqlCommand(statement, connection, transaction);
            await alter.ExecuteNonQueryAsync(ct);
        }
        await transaction.CommitAsync(ct);
    }

    /// <summary>
    /// Why the connection's role must not run a user's ad-hoc SQL: it is a superuser, may create roles, or holds one
    /// of <see cref="DangerousPredefinedRoles"/> (directly or inherited). Empty when the role is safe.
    /// </summary>
    public static async Task<IReadOnlyList<string>> UnsafeRightsAsync(NpgsqlConnection connection, CancellationToken ct = default)
    {
        var checks = string.Join(", ", DangerousPredefinedRoles.Select(r => $"pg_has_role(current_user, '{r}', 'USAGE')"));
        await using var command = new NpgsqlCommand($"SELECT rolsuper, rolcreaterole, {checks} FROM pg_roles WHERE rolname = current_user", connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return ["it is not a known role"];
        var problems = new List<string>();
        if (reader.GetBoolean(0)) problems.Add("superuser");
        if (reader.GetBoolean(1)) problems.Add("CREATEROLE");
        for (var i = 0; i < DangerousPredefinedRoles.Count; i++)
            if (reader.GetBoolean(2 + i)) problems.Add(DangerousPredefinedRoles[i]);
        return problems;
    }

    /// <summary>A random password for a role: 128 bits as hex, safe in URIs and SQL literals.</summary>
    public static string NewPassword() => Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();

    private static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
