-- The tables every sign-in, sliding refresh and GC run churns (issue 16).
--
-- Autovacuum at 2% dead rows instead of PostgreSQL's 20%: after GC removed
-- 301k expired sessions of 3M, sessions, session_index and session_state
-- each held 301k dead tuples and no vacuum had started (20% of 3M is 600k).
--
-- sessions keeps 15% of each page free: a sliding refresh sets the indexed
-- expires_at, so it is never a HOT update, but the new row version can still
-- go on the same page instead of a new one.
--
-- sessions' UNIQUE (id) is dropped: every lookup, foreign key and delete uses
-- the primary key (user_id, id), and each refresh paid a third index entry
-- for it. Session ids stay random UUIDs.
--
-- Each statement takes its lock briefly (ALTER ... SET takes SHARE UPDATE
-- EXCLUSIVE, which reads and writes do not wait for; the DROP, ACCESS
-- EXCLUSIVE for a catalog change), under scripts/migrate's lock_timeout.
ALTER TABLE sessions SET (fillfactor = 85, autovacuum_vacuum_scale_factor = 0.02,
    autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE session_index SET (autovacuum_vacuum_scale_factor = 0.02,
    autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE session_state SET (autovacuum_vacuum_scale_factor = 0.02,
    autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE verification SET (autovacuum_vacuum_scale_factor = 0.02,
    autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE jobs SET (autovacuum_vacuum_scale_factor = 0.02,
    autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE sessions DROP CONSTRAINT sessions_id_key;
