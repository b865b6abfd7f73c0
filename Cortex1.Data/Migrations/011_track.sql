-- Live prediction tracking (issue 12, item 3): a served model's answer on the latest window of a chain, and every
-- usable forecast it states, stored with the day it falls due (window end + horizon) and the close it was made at.
-- Once that day's close is stored (Ingest scores right after its upsert) the forecast gets its realised close and
-- its scores; until then it is pending. One answer per (model, chain, window end): asking again on the same window
-- cannot replace a forecast that turned out badly.
CREATE TABLE track_answers (
    id          bigserial   PRIMARY KEY,
    model       text        NOT NULL,
    endpoint    text        NOT NULL,
    chain       text        NOT NULL,
    window_end  date        NOT NULL,
    example_id  text        NOT NULL,
    -- where the answer came from: asked by `track` ('ask') or taken from a stored evaluation ('eval:{run id}')
    origin      text        NOT NULL,
    answer      text        NOT NULL,
    made_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (model, chain, window_end)
);

CREATE TABLE track_forecasts (
    id           bigserial        PRIMARY KEY,
    answer_id    bigint           NOT NULL REFERENCES track_answers (id) ON DELETE CASCADE,
    asset        text             NOT NULL,
    horizon_days integer          NOT NULL CHECK (horizon_days > 0),
    due_date     date             NOT NULL,
    unit         text             NOT NULL CHECK (unit IN ('price', 'return')),
    point        double precision,
    lower_bound  double precision,
    upper_bound  double precision,
    level        double precision CHECK (level > 0 AND level < 1),
    direction    text             CHECK (direction IN ('up', 'down')),
    statement    text             NOT NULL,
    last_close   double precision NOT NULL CHECK (last_close > 0),
    -- set together when scored
    realised     double precision,
    hit          boolean,
    ape          double precision,
    covered      boolean,
    width        double precision,
    winkler      double precision,
    scored_at    timestamptz
);
CREATE INDEX track_forecasts_pending ON track_forecasts (asset, due_date) WHERE scored_at IS NULL;
CREATE INDEX track_forecasts_answer ON track_forecasts (answer_id);
