-- The integrity measures of each fiscal year (public text, as published in the annual report) and
-- the cases officers linked to them by hand; links by rule are derived from configuration.
CREATE TABLE measures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    fiscal_year INTEGER NOT NULL,
    number INTEGER NOT NULL,
    title TEXT NOT NULL,
    -- JSON array of step texts
    steps TEXT NOT NULL,
    responsible_units TEXT NOT NULL,
    responsible_text TEXT NOT NULL,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    output_text TEXT NOT NULL,
    outcome_text TEXT NOT NULL,
    flags TEXT NOT NULL,
    UNIQUE (fiscal_year, number)
);

CREATE TABLE case_measures (
    case_id INTEGER NOT NULL REFERENCES cases(id),
    measure_id INTEGER NOT NULL REFERENCES measures(id),
    linked_on TEXT NOT NULL,
    linked_by TEXT NOT NULL,
    PRIMARY KEY (case_id, measure_id)
);
