-- 0009: a sweep's rules for its trials, as columns a worker reads when it claims a trial (docs/cluster.md, "Life cycle
-- of a trial"). PostgreSQL is the source of truth for them: a worker that cannot reach the sweep's coordinator still
-- keeps the weights the sweep asked for, and asks the coordinator only for per-epoch verdicts.
-- NULL on sweeps recorded before this migration: the YAML in sweeps.spec cannot be read in SQL, so the sweep's
-- coordinator records them from the spec when it activates, and a trial of a sweep whose rules are not recorded yet
-- cannot be claimed (a coordinator always activates before it places a trial).

ALTER TABLE sweeps
    -- keep the weights of every Nth epoch (plus epoch 0, the best and the last): `snapshots: {every: N}`
    ADD COLUMN snapshot_every int     NULL CHECK (snapshot_every >= 1),
    -- whether the sweep stops trials early (median, ASHA): whether a worker asks the coordinator after each epoch
    ADD COLUMN early_stopping boolean NULL,
    ADD CONSTRAINT sweeps_rules_recorded_together CHECK ((snapshot_every IS NULL) = (early_stopping IS NULL));
