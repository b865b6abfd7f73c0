-- What every training step shows beyond its loss (issue 10): reward per component, the groups' spread, gradient norm,
-- truncation and the learning rate; and the held-out reward of a run, measured greedily on the data set's eval split
-- before training, every evalEvery steps and at the end of each phase.
ALTER TABLE training_steps
    ADD COLUMN reward_components jsonb,
    ADD COLUMN group_std_mean    double precision,
    ADD COLUMN zero_std_share    double precision,
    ADD COLUMN grad_norm         double precision,
    ADD COLUMN truncated_share   double precision,
    ADD COLUMN learning_rate     double precision;

CREATE TABLE training_evals (
    job_id        bigint           NOT NULL REFERENCES training_runs (job_id) ON DELETE CASCADE,
    -- base: before any training; pretrain / sft / grpo: after that many steps of the phase.
    phase         text             NOT NULL CHECK (phase IN ('base', 'pretrain', 'sft', 'grpo')),
    step          integer          NOT NULL,
    reward_mean   double precision NOT NULL,
    reward_se     double precision NOT NULL,
    prompts       integer          NOT NULL,
    components    jsonb            NOT NULL,
    created_at    timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, phase, step)
);
