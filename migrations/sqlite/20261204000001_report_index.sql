-- The annual figures read this index alone: one scan in the order of their GROUP BY, with no sort
-- and no read of the sealed columns (src/storage/report_figures.rs lists the same columns).
CREATE INDEX cases_report ON cases (fiscal_year, received_on, track, channel, category, anonymous, status,
    acknowledged_on, acknowledge_due, closed_on, outcome, referred_to, rejection_reason);
-- Its first column serves every look-up by fiscal year, so the old index only cost writes.
DROP INDEX cases_fiscal_year;
