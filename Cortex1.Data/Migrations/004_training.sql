-- Training runs: one per 'train' job. Step metrics are keyed (job, phase, step) so a resumed run
-- never records a step twice; checkpoints name the blob prefix of the adapter saved after a step.
CREATE TABLE training_runs (
    job_id      bigint      PRIMARY KEY REFERENCES jobs (id),
    name        text        NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9._-]*$'),
    dataset     text        NOT NULL,
    version     text        NOT NULL,
    base_model  text        NOT NULL,
    request     jsonb       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE training_steps (
    job_id            bigint           NOT NULL REFERENCES training_runs (job_id) ON DELETE CASCADE,
    phase             text             NOT NULL CHECK (phase IN ('sft', 'grpo')),
    step              integer          NOT NULL,
    loss              double precision NOT NULL,
    policy_loss       double precision,
    kl                double precision,
    clip_ratio        double precision,
    reward_mean       double precision,
    reward_std        double precision,
    completion_tokens double precision,
    seconds           double precision NOT NULL,
    created_at        timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, phase, step)
);

CREATE TABLE training_checkpoints (
    job_id      bigint      NOT NULL REFERENCES training_runs (job_id) ON DELETE CASCADE,
    phase       text        NOT NULL,
    step        integer     NOT NULL,
    blob_prefix text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, phase, step)
);
