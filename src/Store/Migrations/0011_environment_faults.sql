-- 0011: a fault of a worker's environment (its data gone, a device error, out of memory) is the worker's, not the
-- trial's (docs/cluster.md, "Quarantine"). The worker stops claiming trials and says why; the attempt it lost goes back
-- to the queue without using the trial's budget of max_attempts.

ALTER TABLE trials
    -- attempts since the sweep was last resumed that ended by a fault of their worker's environment: they do not
    -- count against max_attempts, which bounds attempts - attempts_before_resume - environment_faults
    ADD COLUMN environment_faults int NOT NULL DEFAULT 0 CHECK (environment_faults >= 0);

ALTER TABLE workers
    -- why the worker quarantined itself (the fault, naming its host); NULL while it is healthy. A quarantined worker
    -- heartbeats on and finishes what it runs, but claims nothing; it recovers by being restarted (a new worker)
    ADD COLUMN quarantined text NULL;
