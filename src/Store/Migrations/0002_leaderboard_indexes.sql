-- results top ranks each trial by its best epoch: DISTINCT ON (trial_id) ... ORDER BY trial_id, metric, epoch.
-- Without an index that order is a sort of every epoch row, which spilled to disk and cost ~70 ms at 150,000 rows
-- (bench/README.md, "Results store"). One index per commonly ranked metric, in the query's own order, turns it
-- into an index scan; INCLUDE carries the accuracies the leaderboard shows.
CREATE INDEX IF NOT EXISTS epochs_rank_val_accuracy_idx ON epochs (trial_id, val_accuracy DESC, epoch) INCLUDE (test_accuracy);
CREATE INDEX IF NOT EXISTS epochs_rank_val_loss_idx ON epochs (trial_id, val_loss ASC, epoch) INCLUDE (val_accuracy, test_accuracy);
CREATE INDEX IF NOT EXISTS epochs_rank_test_accuracy_idx ON epochs (trial_id, test_accuracy DESC, epoch) INCLUDE (val_accuracy);
CREATE INDEX IF NOT EXISTS epochs_rank_test_loss_idx ON epochs (trial_id, test_loss ASC, epoch) INCLUDE (val_accuracy, test_accuracy);
