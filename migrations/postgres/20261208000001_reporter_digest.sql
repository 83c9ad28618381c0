-- A reporter's online action (a new case, a message, a file) is announced to its unit in the next
-- daily mail. Until then it waits here, with no time and in no order among staff events, so a copy
-- of the database dates the action to its day at most; a queued mail's send time would date it to
-- the quarter hour.
CREATE TABLE reporter_digest (
    case_id BIGINT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    event TEXT NOT NULL,
    PRIMARY KEY (case_id, event)
);
