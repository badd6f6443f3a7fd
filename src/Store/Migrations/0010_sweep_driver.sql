-- 0010: who drives a sweep (docs/cluster.md, "Who drives a sweep"). A sweep submitted to a cluster (`sweep submit`,
-- `sweep resume --cluster`) is driven by the cluster's coordinator and worker silos; one run on this machine
-- (`sweep run`, `demo`, `sweep resume`) by the process that runs it, named by its worker ('process:host/pid'). Cluster
-- coordinators scan only the cluster's sweeps, and a worker claims only trials of sweeps its own driver drives, so an
-- in-process sweep on a database a cluster also uses never runs on the cluster's workers, and vice versa.
-- Sweeps recorded before this migration are the cluster's: `sweep resume` hands one back to a process explicitly.

ALTER TABLE sweeps
    ADD COLUMN driver text NOT NULL DEFAULT 'cluster'
        CONSTRAINT sweeps_driver_check CHECK (driver = 'cluster' OR driver LIKE 'process:%');
