-- Synthetic data generation. A run's examples are rows keyed by (run_id, example_key): the key is
-- derived from the plan (task kind, chain, window), so a resumed run skips what it already has and
-- never writes an example twice. Rejected examples stay with their reward breakdown for analysis.
CREATE TABLE synth_runs (
    id           bigserial   PRIMARY KEY,
    dataset      text        NOT NULL CHECK (dataset ~ '^[a-z0-9][a-z0-9._-]*$'),
    version      text        NOT NULL CHECK (version ~ '^[a-z0-9][a-z0-9._-]*$'),
    request      jsonb       NOT NULL,
    job_id       bigint      REFERENCES jobs (id),
    status       text        NOT NULL DEFAULT 'queued'
                 CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    planned      integer     NOT NULL DEFAULT 0,
    error        text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    UNIQUE (dataset, version)
);

CREATE TABLE synth_examples (
    run_id        bigint           NOT NULL REFERENCES synth_runs (id) ON DELETE CASCADE,
    example_key   text             NOT NULL,
    split         text             NOT NULL CHECK (split IN ('train', 'eval')),
    kind          text             NOT NULL,
    condition     text             NOT NULL,
    chain         text             NOT NULL,
    window_start  date             NOT NULL,
    window_end    date             NOT NULL,
    teacher       text             NOT NULL,
    answer_hash   text             NOT NULL,
    reward_total  double precision NOT NULL,
    accepted      boolean          NOT NULL,
    -- The whole TrainingExample as it goes into the JSONL (prompt, reasoning, answer, market, reward).
    example       jsonb            NOT NULL,
    created_at    timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, example_key)
);

CREATE INDEX synth_examples_by_outcome ON synth_examples (run_id, accepted, kind, condition);

-- The data-set catalogue: one row per published name/version, pointing at its blobs.
CREATE TABLE datasets (
    name         text        NOT NULL,
    version      text        NOT NULL,
    run_id       bigint      REFERENCES synth_runs (id),
    teacher      text        NOT NULL,
    quality_gate double precision NOT NULL,
    train_count  integer     NOT NULL,
    eval_count   integer     NOT NULL,
    prefix       text        NOT NULL,
    manifest     jsonb       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (name, version)
);
