-- Evaluations of a model on a data set's split (the `eval` command): one row per run with its summary and the key
-- numbers as columns, so two runs compare side by side; one row per answer with its reward, forecast and trade results.
CREATE TABLE eval_runs (
    id            bigserial        PRIMARY KEY,
    model         text             NOT NULL,
    endpoint      text             NOT NULL,
    dataset       text             NOT NULL,
    version       text             NOT NULL,
    split         text             NOT NULL,
    max_tokens    integer          NOT NULL,
    cost_bps      double precision NOT NULL,
    answers       integer          NOT NULL,
    forecasts     integer          NOT NULL,
    reward        double precision,
    direction_hit_rate   double precision,
    persistence_hit_rate double precision,
    coverage_90   double precision,
    mape          double precision,
    persistence_mape     double precision,
    sharpe        double precision,
    buy_and_hold_sharpe  double precision,
    summary       jsonb            NOT NULL,
    report_prefix text             NOT NULL,
    created_at    timestamptz      NOT NULL DEFAULT now()
);
CREATE INDEX eval_runs_model ON eval_runs (model, created_at DESC);

CREATE TABLE eval_answers (
    run_id          bigint           NOT NULL REFERENCES eval_runs (id) ON DELETE CASCADE,
    example_id      text             NOT NULL,
    chain           text             NOT NULL,
    window_end      date             NOT NULL,
    kind            text             NOT NULL,
    reward          double precision NOT NULL,
    components      jsonb            NOT NULL,
    forecasts       integer          NOT NULL,
    usable          integer          NOT NULL,
    scored          integer          NOT NULL,
    hits            integer          NOT NULL,
    directions      integer          NOT NULL,
    mape            double precision,
    strategy_return double precision,
    buy_and_hold_return double precision,
    answer          text             NOT NULL,
    PRIMARY KEY (run_id, example_id)
);
