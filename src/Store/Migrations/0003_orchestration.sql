-- 0003: what the coordinator and the workers need to run sweeps (docs/schema.md, "Orchestration").
-- PostgreSQL is the source of truth: the bus only delivers "look at trial N", and every decision below is a
-- conditional UPDATE, so a repeated or lost message can neither run a trial twice nor lose it.

ALTER TABLE sweeps
    ADD COLUMN status          text             NOT NULL DEFAULT 'running'
        CONSTRAINT sweeps_status_check CHECK (status IN ('running', 'completed', 'cancelled')),
    ADD COLUMN dataset         text             NULL,
    ADD COLUMN metric          text             NOT NULL DEFAULT 'val_accuracy',
    ADD COLUMN metric_goal     text             NOT NULL DEFAULT 'maximize' CHECK (metric_goal IN ('maximize', 'minimize')),
    ADD COLUMN max_concurrent  int              NULL CHECK (max_concurrent > 0),
    ADD COLUMN max_attempts    int              NOT NULL DEFAULT 3 CHECK (max_attempts > 0),
    ADD COLUMN gpus_per_trial  double precision NOT NULL DEFAULT 0 CHECK (gpus_per_trial >= 0),
    ADD COLUMN trace_parent    text             NULL,
    ADD COLUMN finished_at     timestamptz      NULL;

ALTER TABLE trials
    ADD COLUMN trial_index       int         NULL,
    ADD COLUMN label             text        NULL,
    -- when the trial (re-)entered the queue: the start of "time from queued to running"
    ADD COLUMN queued_at         timestamptz NOT NULL DEFAULT now(),
    -- set when a coordinator published the trial; a queued trial not claimed long after it is published again
    ADD COLUMN dispatched_at     timestamptz NULL,
    -- a running trial belongs to its worker until this time; heartbeats extend it, and a coordinator re-queues
    -- (or fails, past max_attempts) a running trial whose lease has run out: its worker died
    ADD COLUMN lease_expires_at  timestamptz NULL,
    ADD COLUMN heartbeat_at      timestamptz NULL,
    ADD COLUMN cancel_requested  boolean     NOT NULL DEFAULT false;
CREATE INDEX trials_unfinished_idx ON trials (sweep_id, trial_index) WHERE status IN ('queued', 'running');

ALTER TABLE workers
    ADD COLUMN gpus              int         NOT NULL DEFAULT 0 CHECK (gpus >= 0),
    ADD COLUMN threads_per_slot  int         NOT NULL DEFAULT 1 CHECK (threads_per_slot > 0),
    ADD COLUMN busy_slots        int         NOT NULL DEFAULT 0,
    ADD COLUMN stopped_at        timestamptz NULL;
