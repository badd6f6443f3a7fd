-- 0004: what a trial records about how it was trained, and leaderboards that rank trained epochs only (docs/schema.md).

-- The data a trial actually trained on (after --limit and the validation hold-out), and which code and machine ran it.
-- Written by the worker when an attempt starts; NULL for trials recorded before 0004 or never started.
ALTER TABLE trials
    ADD COLUMN train_images  int  NULL CHECK (train_images >= 0),
    ADD COLUMN val_images    int  NULL CHECK (val_images >= 0),
    ADD COLUMN test_images   int  NULL CHECK (test_images >= 0),
    ADD COLUMN code_version  text NULL,
    ADD COLUMN host          text NULL;

-- Before 0004 the stored spec kept a built-in's default input (ffnn-100: 3×32×32) even when the trial trained on
-- another (MNIST: 1×28×28), so a model rebuilt from it could not take the stored weights. The input the trial was
-- planned for has always been recorded in hyperparameters.input: copy it into the spec.
UPDATE trials
SET architecture_spec = jsonb_set(architecture_spec, '{input}', hyperparameters->'input')
WHERE jsonb_typeof(hyperparameters->'input') = 'array'
  AND architecture_spec->'input' IS DISTINCT FROM hyperparameters->'input';

-- The best epoch is chosen among trained epochs (epoch > 0): the untrained model of epoch 0 is a baseline, never the
-- result of a trial, so a trial that diverged in its first epoch has no best epoch. New columns go last, as
-- CREATE OR REPLACE VIEW requires.
CREATE OR REPLACE VIEW trial_summary AS
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
       b.test_loss      AS test_loss_at_best,
       coalesce(n.epochs_trained, 0) AS epochs_trained,
       t.train_images,
       t.val_images,
       t.test_images,
       t.code_version,
       t.host
FROM trials t
LEFT JOIN LATERAL (
    SELECT count(*)::int AS epochs_recorded, (count(*) FILTER (WHERE e.epoch > 0))::int AS epochs_trained
    FROM epochs e WHERE e.trial_id = t.id) n ON true
LEFT JOIN LATERAL (
    SELECT e.epoch, e.val_accuracy, e.val_loss, e.test_accuracy, e.test_loss
    FROM epochs e
    WHERE e.trial_id = t.id AND e.epoch > 0 AND e.val_accuracy IS NOT NULL AND e.val_accuracy <> 'NaN'::float8
    ORDER BY e.val_accuracy DESC, e.epoch ASC
    LIMIT 1) b ON true;
