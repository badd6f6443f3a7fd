-- 0012: each trial's best trained epoch and its count of trained epochs, stored on the trial (docs/schema.md, "A
-- trial's best epoch"). The sweep page and `sweep status` read them instead of ranking and counting every trial's epochs
-- at each read: for 5,000 trials × 30 epochs that was most of the sweep page's time.
--
-- The best is ranked as results top, the dashboard and the figures rank it: by the sweep's metric and goal (a trial
-- outside a sweep, from `train`, by val_accuracy, maximised), among trained epochs (epoch > 0) whose value is finite
-- (NaN, ±Infinity and NULL never count), the earliest of equal values. Triggers on epochs keep both: every statement
-- that inserts, updates or deletes epoch rows recomputes them for the trials it touched, in its own transaction, so an
-- epoch's commit and its trial's figures commit together, and a retried write that inserts nothing changes nothing.

ALTER TABLE trials
    -- the ranking metric's value at best_metric_epoch; both NULL while no trained epoch has a finite value
    ADD COLUMN IF NOT EXISTS best_metric_value double precision NULL,
    ADD COLUMN IF NOT EXISTS best_metric_epoch int NULL,
    -- epochs recorded after epoch 0, a diverged one included (trial_summary.epochs_trained)
    ADD COLUMN IF NOT EXISTS epochs_trained int NOT NULL DEFAULT 0;

-- The one definition of a trial's best epoch: its epoch and value, or no row.
CREATE OR REPLACE FUNCTION trial_best_metric_epoch(trial bigint) RETURNS TABLE (epoch int, value double precision)
LANGUAGE sql STABLE AS $$
    SELECT e.epoch, v.value
    FROM trials t
    LEFT JOIN sweeps s ON s.id = t.sweep_id
    JOIN epochs e ON e.trial_id = t.id AND e.epoch > 0
    CROSS JOIN LATERAL (SELECT CASE coalesce(s.metric, 'val_accuracy')
                                   WHEN 'val_accuracy' THEN e.val_accuracy WHEN 'val_loss' THEN e.val_loss
                                   WHEN 'test_accuracy' THEN e.test_accuracy WHEN 'test_loss' THEN e.test_loss
                                   WHEN 'train_accuracy' THEN e.train_accuracy WHEN 'train_loss' THEN e.train_loss END AS value) v
    WHERE t.id = trial AND v.value NOT IN ('NaN', 'Infinity', '-Infinity')
    -- Negating a double is exact, so "highest first" keeps its ties, and the earliest of them wins.
    ORDER BY CASE WHEN coalesce(s.metric_goal, 'maximize') = 'maximize' THEN -v.value ELSE v.value END, e.epoch
    LIMIT 1
$$;

-- Recomputes the stored best and count of the given trials, writing only the rows where they moved.
CREATE OR REPLACE FUNCTION refresh_trial_epoch_figures(trial_ids bigint[]) RETURNS void
LANGUAGE sql AS $$
    UPDATE trials t SET best_metric_epoch = b.epoch, best_metric_value = b.value, epochs_trained = n.trained
    FROM unnest(trial_ids) AS ids (id)
    LEFT JOIN LATERAL trial_best_metric_epoch(ids.id) b ON true
    CROSS JOIN LATERAL (SELECT count(*)::int AS trained FROM epochs e WHERE e.trial_id = ids.id AND e.epoch > 0) n
    WHERE t.id = ids.id
      AND (t.best_metric_epoch IS DISTINCT FROM b.epoch OR t.best_metric_value IS DISTINCT FROM b.value OR t.epochs_trained <> n.trained)
$$;

-- Each trigger names its transition table changed_epochs, so one function serves them all.
CREATE OR REPLACE FUNCTION epochs_refresh_trial_figures() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_trial_epoch_figures(ARRAY(SELECT DISTINCT trial_id FROM changed_epochs));
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER epochs_trial_figures_after_insert AFTER INSERT ON epochs
    REFERENCING NEW TABLE AS changed_epochs FOR EACH STATEMENT EXECUTE FUNCTION epochs_refresh_trial_figures();
CREATE OR REPLACE TRIGGER epochs_trial_figures_after_update AFTER UPDATE ON epochs
    REFERENCING NEW TABLE AS changed_epochs FOR EACH STATEMENT EXECUTE FUNCTION epochs_refresh_trial_figures();
-- An update that moved a row to another trial changes the old trial's figures too.
CREATE OR REPLACE TRIGGER epochs_trial_figures_after_update_of_old AFTER UPDATE ON epochs
    REFERENCING OLD TABLE AS changed_epochs FOR EACH STATEMENT EXECUTE FUNCTION epochs_refresh_trial_figures();
CREATE OR REPLACE TRIGGER epochs_trial_figures_after_delete AFTER DELETE ON epochs
    REFERENCING OLD TABLE AS changed_epochs FOR EACH STATEMENT EXECUTE FUNCTION epochs_refresh_trial_figures();

-- The backfill: every trial recorded before this migration.
SELECT refresh_trial_epoch_figures(ARRAY(SELECT id FROM trials));
