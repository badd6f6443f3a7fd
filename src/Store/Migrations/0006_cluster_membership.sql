-- 0006: Orleans cluster membership in our own schema (docs/cluster.md, "Orleans foundation").
-- Written and read only through ResultsStore's membership calls, which implement Orleans's IMembershipTable contract:
-- every change of membership bumps the cluster's version row and its etag in the same transaction, and a write that
-- names a stale etag changes nothing.

-- One row per cluster (Orleans's ClusterId): the table version Orleans reads with every snapshot, and the etag that
-- every membership change must name. Several clusters (a test's, a second deployment's) can share one database.
CREATE TABLE cluster_versions (
    cluster_id  text PRIMARY KEY,
    version     int    NOT NULL DEFAULT 0 CHECK (version >= 0),
    etag        bigint NOT NULL DEFAULT 0
);

-- One row per silo incarnation: (address, port, generation) is Orleans's SiloAddress; a restarted silo on the same
-- endpoint is a new row with a later generation. Suspicions are two parallel arrays: who suspected the silo, and when.
CREATE TABLE cluster_silos (
    cluster_id       text        NOT NULL REFERENCES cluster_versions (cluster_id) ON DELETE CASCADE,
    address          text        NOT NULL,
    port             int         NOT NULL CHECK (port BETWEEN 0 AND 65535),
    generation       int         NOT NULL,
    status           text        NOT NULL CHECK (status IN ('created', 'joining', 'active', 'shutting_down', 'stopping', 'dead')),
    proxy_port       int         NOT NULL DEFAULT 0 CHECK (proxy_port BETWEEN 0 AND 65535),
    host_name        text        NOT NULL DEFAULT '',
    silo_name        text        NOT NULL DEFAULT '',
    role_name        text        NOT NULL DEFAULT '',
    update_zone      int         NOT NULL DEFAULT 0,
    fault_zone       int         NOT NULL DEFAULT 0,
    suspecters       text[]      NOT NULL DEFAULT '{}',
    suspected_at     timestamptz[] NOT NULL DEFAULT '{}',
    start_time       timestamptz NOT NULL,
    i_am_alive_time  timestamptz NOT NULL,
    etag             bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (cluster_id, address, port, generation),
    CHECK (cardinality(suspecters) = cardinality(suspected_at))
);

-- The gateway list (`sweep submit` and other clients) reads the active silos of one cluster.
CREATE INDEX cluster_silos_active ON cluster_silos (cluster_id) WHERE status = 'active';
