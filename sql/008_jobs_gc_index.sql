-- migrate: no-transaction
-- Jobs GC (app/admin/gc.c) deletes finished jobs past their retention. With
-- no index on that condition every run read the whole jobs table (issue 16:
-- 390 ms and 31k buffers at 2.2M jobs with nothing to delete), and every
-- sign-in adds a job. This partial index holds only finished jobs, so a run
-- costs what it deletes.
--
-- Built CONCURRENTLY: sign-ins keep enqueueing jobs meanwhile. A build that
-- failed leaves an invalid index behind; the DROP makes a rerun start clean.
DROP INDEX CONCURRENTLY IF EXISTS jobs_finished_updated_at_idx;
CREATE INDEX CONCURRENTLY jobs_finished_updated_at_idx ON jobs (updated_at)
    WHERE status IN ('done', 'failed', 'dead');
