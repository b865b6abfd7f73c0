-- Jobs are rows: a worker claims one with FOR UPDATE SKIP LOCKED and holds a lease it renews
-- with heartbeats. A worker that dies stops renewing, its lease runs out and another worker
-- picks the job up again (attempts counts the claims).
CREATE TABLE jobs (
    id               bigserial PRIMARY KEY,
    kind             text        NOT NULL,
    payload          jsonb       NOT NULL DEFAULT '{}'::jsonb,
    status           text        NOT NULL DEFAULT 'queued'
                     CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'canceled')),
    progress         double precision NOT NULL DEFAULT 0 CHECK (progress >= 0 AND progress <= 1),
    progress_message text,
    result           jsonb,
    error            text,
    attempts         integer     NOT NULL DEFAULT 0,
    max_attempts     integer     NOT NULL DEFAULT 3,
    locked_by        text,
    lease_until      timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    started_at       timestamptz,
    finished_at      timestamptz,
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX jobs_claimable ON jobs (kind, id) WHERE status IN ('queued', 'running');
