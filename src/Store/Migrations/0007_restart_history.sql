-- 0007: a trial's restart history survives `sweep resume` (docs/schema.md, docs/cluster.md "Cancel and resume").
-- `attempts` counts every claim of the trial, ever, and is never reset: it is also the fencing token every worker write
-- carries, so it must only grow. `sweep resume` gives a fresh budget by recording how many attempts came before it;
-- max_attempts bounds attempts - attempts_before_resume.

ALTER TABLE trials
    ADD COLUMN attempts_before_resume int NOT NULL DEFAULT 0,
    ADD CONSTRAINT trials_attempts_before_resume_check CHECK (attempts_before_resume BETWEEN 0 AND attempts);
