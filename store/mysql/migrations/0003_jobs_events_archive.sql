-- Durable jobs (a send is a job of kind "send"); the event log of events that belong to no conversation;
-- the webhook archive for replays; idempotency keys of requests; follow state by event time; channel
-- health and disconnection. (On PostgreSQL and SQLite this migration also moves the outbox into jobs; no
-- MySQL database had one.)

CREATE TABLE jobs (
    id              VARBINARY(255) PRIMARY KEY,
    kind            VARBINARY(255) NOT NULL,
    job_key         VARBINARY(255) NOT NULL,
    payload         LONGBLOB NOT NULL,
    status          VARBINARY(255) NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    last_error      BLOB NOT NULL,
    lease           VARBINARY(255) NOT NULL,
    lease_until     BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    retry_since     BIGINT NOT NULL,
    -- 1 while the job is pending with a key: at most one such job per (kind, key).
    pending_unique  BOOLEAN AS (CASE WHEN status = 'pending' AND job_key <> '' THEN 1 END) STORED,
    UNIQUE KEY jobs_pending_key (kind, job_key, pending_unique),
    KEY jobs_due (status, next_attempt_at, id),
    KEY jobs_created (created_at, id),
    KEY jobs_finished (updated_at)
) ENGINE = InnoDB;

CREATE TABLE channel_events (
    id           VARBINARY(255) PRIMARY KEY,
    channel_id   VARBINARY(255) NOT NULL,
    event_id     VARBINARY(255) NOT NULL,
    event        LONGBLOB NOT NULL,
    time         BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    event_unique BOOLEAN AS (CASE WHEN event_id <> '' THEN 1 END) STORED,
    UNIQUE KEY channel_events_event (channel_id, event_id, event_unique),
    KEY channel_events_time (channel_id, time, id),
    CONSTRAINT channel_events_channel_fk FOREIGN KEY (channel_id) REFERENCES channels (id)
) ENGINE = InnoDB;

CREATE TABLE webhooks (
    id          VARBINARY(255) PRIMARY KEY,
    channel_id  VARBINARY(255) NOT NULL,
    body        LONGBLOB NOT NULL,
    received_at BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    KEY webhooks_received (channel_id, received_at, id),
    KEY webhooks_expiry (expires_at),
    CONSTRAINT webhooks_channel_fk FOREIGN KEY (channel_id) REFERENCES channels (id)
) ENGINE = InnoDB;

CREATE TABLE requests (
    scope      VARBINARY(255) NOT NULL,
    req_key    VARBINARY(255) NOT NULL,
    result     LONGBLOB NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (scope, req_key),
    KEY requests_expiry (expires_at)
) ENGINE = InnoDB;

ALTER TABLE contacts ADD COLUMN follow_changed_at BIGINT NOT NULL DEFAULT 0;

-- What the last settings check found, the quota state, and disconnection (history kept).
ALTER TABLE channels ADD COLUMN health_checks LONGBLOB NOT NULL DEFAULT ('null');
ALTER TABLE channels ADD COLUMN checked_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE channels ADD COLUMN quota_exceeded_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE channels ADD COLUMN disconnected_at BIGINT NOT NULL DEFAULT 0;
-- This month's sends of a channel, counted for its quota.
CREATE INDEX messages_channel_sent ON messages (channel_id, direction, time);
