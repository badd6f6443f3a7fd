-- 0001: the results store. Applied once, inside one transaction, by SchemaMigrator (see docs/schema.md).

CREATE TABLE sweeps (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text        NOT NULL,
    spec        jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE trials (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sweep_id           bigint      NULL REFERENCES sweeps (id) ON DELETE CASCADE,
    architecture       text        NOT NULL,
    architecture_spec  jsonb       NOT NULL,
    dataset            text        NOT NULL,
    hyperparameters    jsonb       NOT NULL DEFAULT '{}'::jsonb,
    seed               bigint      NOT NULL,
    status             text        NOT NULL DEFAULT 'queued'
        CONSTRAINT trials_status_check
        CHECK (status IN ('queued', 'running', 'completed', 'stopped_early', 'diverged', 'failed', 'cancelled')),
    attempts           int         NOT NULL DEFAULT 0,
    worker             text        NULL,
    error              text        NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    started_at         timestamptz NULL,
    finished_at        timestamptz NULL
);
CREATE INDEX trials_sweep_id_idx ON trials (sweep_id);
CREATE INDEX trials_status_idx ON trials (status);

-- One row per (trial, epoch); epoch 0 is the untrained model. NaN is a legal value in every double column
-- (a diverged trial records it); NULL means "not measured" (e.g. no test split that epoch).
CREATE TABLE epochs (
    trial_id           bigint           NOT NULL REFERENCES trials (id) ON DELETE CASCADE,
    epoch              int              NOT NULL CHECK (epoch >= 0),
    learning_rate      double precision NOT NULL,
    train_loss         double precision NULL,
    train_accuracy     double precision NULL,
    train_samples      int              NULL,
    val_loss           double precision NULL,
    val_accuracy       double precision NULL,
    val_samples        int              NULL,
    test_loss          double precision NULL,
    test_accuracy      double precision NULL,
    test_samples       int              NULL,
    seconds            double precision NOT NULL,
    images_per_second  double precision NOT NULL,
    recorded_at        timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (trial_id, epoch)
);

-- One row per tensor per epoch. bytes is the tensor's little-endian, C-contiguous data; checksum is the SHA-256 of bytes.
CREATE TABLE weight_tensors (
    trial_id  bigint NOT NULL,
    epoch     int    NOT NULL,
    ordinal   int    NOT NULL,
    name      text   NOT NULL,
    shape     int[]  NOT NULL,
    dtype     text   NOT NULL CHECK (dtype IN ('float32', 'int64')),
    bytes     bytea  NOT NULL,
    checksum  bytea  NOT NULL CHECK (length(checksum) = 32),
    PRIMARY KEY (trial_id, epoch, name),
    UNIQUE (trial_id, epoch, ordinal),
    FOREIGN KEY (trial_id, epoch) REFERENCES epochs (trial_id, epoch) ON DELETE CASCADE
);
-- Trained float32 weights are close to incompressible for pglz; EXTERNAL stores them out of line (TOAST)
-- without spending CPU on a compression attempt that would be thrown away.
ALTER TABLE weight_tensors ALTER COLUMN bytes SET STORAGE EXTERNAL;

-- Reserved for the evaluation artifacts of the next issue (per-class metrics, confusion matrix, ROC points).
-- kind: 'per_class' | 'confusion_matrix' | 'roc'; split: 'train' | 'val' | 'test'.
CREATE TABLE epoch_artifacts (
    trial_id     bigint      NOT NULL,
    epoch        int         NOT NULL,
    split        text        NOT NULL CHECK (split IN ('train', 'val', 'test')),
    kind         text        NOT NULL,
    data         jsonb       NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (trial_id, epoch, split, kind),
    FOREIGN KEY (trial_id, epoch) REFERENCES epochs (trial_id, epoch) ON DELETE CASCADE
);

CREATE TABLE workers (
    name            text        PRIMARY KEY,
    host            text        NOT NULL,
    slots           int         NOT NULL CHECK (slots >= 0),
    started_at      timestamptz NOT NULL DEFAULT now(),
    last_heartbeat  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE worker_heartbeats (
    worker      text        NOT NULL REFERENCES workers (name) ON DELETE CASCADE,
    at          timestamptz NOT NULL DEFAULT now(),
    busy_slots  int         NOT NULL DEFAULT 0,
    trial_ids   bigint[]    NOT NULL DEFAULT '{}',
    PRIMARY KEY (worker, at)
);

-- One row per trial: how many epochs it has and its best epoch by validation accuracy (NaN and NULL never win;
-- ties go to the earliest epoch), with that epoch's test figures.
CREATE VIEW trial_summary AS
SELECT t.id AS trial_id,
       t.sweep_id,
       t.architecture,
       t.dataset,
       t.hyperparameters,
       t.seed,
       t.status,
       t.attempts,
       t.worker,
       t.error,
       t.created_at,
       t.started_at,
       t.finished_at,
       coalesce(n.epochs_recorded, 0) AS epochs_recorded,
       b.epoch          AS best_epoch,
       b.val_accuracy   AS best_val_accuracy,
       b.val_loss       AS val_loss_at_best,
       b.test_accuracy  AS test_accuracy_at_best,
       b.test_loss      AS test_loss_at_best
FROM trials t
LEFT JOIN LATERAL (SELECT count(*)::int AS epochs_recorded FROM epochs e WHERE e.trial_id = t.id) n ON true
LEFT JOIN LATERAL (
    SELECT e.epoch, e.val_accuracy, e.val_loss, e.test_accuracy, e.test_loss
    FROM epochs e
    WHERE e.trial_id = t.id AND e.val_accuracy IS NOT NULL AND e.val_accuracy <> 'NaN'::float8
    ORDER BY e.val_accuracy DESC, e.epoch ASC
    LIMIT 1) b ON true;

-- Every recorded figure as one (trial_id, epoch, split, metric, value) row, for plotting tools.
-- split is train | val | test, or 'epoch' for figures of the whole epoch (learning_rate, seconds, images_per_second).
CREATE VIEW epoch_metrics_long AS
SELECT e.trial_id, e.epoch, v.split, v.metric, v.value
FROM epochs e
CROSS JOIN LATERAL (VALUES
    ('train', 'loss',              e.train_loss),
    ('train', 'accuracy',          e.train_accuracy),
    ('train', 'samples',           e.train_samples::float8),
    ('val',   'loss',              e.val_loss),
    ('val',   'accuracy',          e.val_accuracy),
    ('val',   'samples',           e.val_samples::float8),
    ('test',  'loss',              e.test_loss),
    ('test',  'accuracy',          e.test_accuracy),
    ('test',  'samples',           e.test_samples::float8),
    ('epoch', 'learning_rate',     e.learning_rate),
    ('epoch', 'seconds',           e.seconds),
    ('epoch', 'images_per_second', e.images_per_second)
) AS v (split, metric, value)
WHERE v.value IS NOT NULL;
