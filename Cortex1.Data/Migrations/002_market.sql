-- Daily market metrics as typed key/values: a new chain or metric is a row, not a schema change.
-- Raw values (prices, on-chain counts) and the metrics Ingest derives from them (growth,
-- volatility, correlations) live side by side; MetricNames documents names and units.
CREATE TABLE market_metrics (
    chain      text             NOT NULL CHECK (chain ~ '^[a-z0-9_]+$'),
    day        date             NOT NULL,
    metric     text             NOT NULL CHECK (metric ~ '^[a-z0-9_]+$'),
    -- NaN and infinities are bugs upstream, never data: reject them so a bad batch rolls back.
    value      double precision NOT NULL
               CHECK (value <> 'NaN'::float8 AND value <> 'Infinity'::float8 AND value <> '-Infinity'::float8),
    source     text             NOT NULL,
    fetched_at timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (chain, day, metric)
);

-- One label per chain, day and basis: 'market' (price/volume mapping) or 'onchain' (activity
-- mapping). Thresholds live in Cortex1.Ingest/Conditions/ConditionRules.cs.
CREATE TABLE market_conditions (
    chain       text        NOT NULL CHECK (chain ~ '^[a-z0-9_]+$'),
    day         date        NOT NULL,
    basis       text        NOT NULL CHECK (basis IN ('market', 'onchain')),
    condition   text        NOT NULL CHECK (condition IN
                ('bull', 'bear', 'sideways', 'volatile', 'accumulation', 'distribution', 'recovery', 'correction')),
    computed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (chain, day, basis)
);

CREATE INDEX market_conditions_by_condition ON market_conditions (condition, chain, day);
