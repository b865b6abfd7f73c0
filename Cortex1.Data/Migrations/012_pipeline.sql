-- The pipeline that runs on first start (the Trainer's orchestrator): one row per stage of a profile's plan, with the
-- job that produces the stage's output (a row of jobs, owned by the service that runs it). The orchestrator writes
-- the rows; GET /api/pipeline reads them joined with their jobs, so every Trainer replica shows the same state.
CREATE TABLE pipeline_stages (
    pipeline     text        NOT NULL,
    stage        text        NOT NULL,
    position     integer     NOT NULL,
    service      text        NOT NULL,
    state        text        NOT NULL DEFAULT 'waiting'
                 CHECK (state IN ('waiting', 'running', 'done', 'failed', 'skipped')),
    job_id       bigint      REFERENCES jobs (id),
    message      text,
    error        text,
    output       jsonb,
    started_at   timestamptz,
    finished_at  timestamptz,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (pipeline, stage)
);
