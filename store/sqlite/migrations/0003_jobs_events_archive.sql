-- Durable jobs replace the outbox (a send is a job of kind "send"); the event log of events that belong to
-- no conversation; the webhook archive for replays; idempotency keys of requests; follow state by event
-- time; channel health and disconnection. Inbound events are
-- deduplicated by their messages' channel IDs, so the dedup table goes.

CREATE TABLE jobs (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    job_key         TEXT NOT NULL,
    payload         TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT NOT NULL,
    lease           TEXT NOT NULL,
    lease_until     INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    retry_since     INTEGER NOT NULL
);
CREATE INDEX jobs_due ON jobs (next_attempt_at, id) WHERE status = 'pending';
CREATE UNIQUE INDEX jobs_pending_key ON jobs (kind, job_key) WHERE status = 'pending' AND job_key <> '';
CREATE INDEX jobs_created ON jobs (created_at, id);
CREATE INDEX jobs_finished ON jobs (updated_at) WHERE status <> 'pending';

INSERT INTO jobs (id, kind, job_key, payload, status, attempts, next_attempt_at, last_error, lease, lease_until,
    created_at, updated_at, retry_since)
SELECT id, 'send', '', json_object('channelId', channel_id, 'conversationId', conversation_id, 'to', json(peer),
        'messageIds', json(message_ids), 'replyToken', reply_token, 'retryKey', retry_key),
    status, attempts, next_attempt_at, last_error, lease, lease_until, created_at, updated_at, created_at
FROM outbox;
DROP TABLE outbox;
DROP TABLE dedup;

CREATE TABLE channel_events (
    id         TEXT PRIMARY KEY,
    channel_id TEXT NOT NULL REFERENCES channels (id),
    event_id   TEXT NOT NULL,
    event      TEXT NOT NULL,
    time       INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX channel_events_event ON channel_events (channel_id, event_id) WHERE event_id <> '';
CREATE INDEX channel_events_time ON channel_events (channel_id, time, id);

CREATE TABLE webhooks (
    id          TEXT PRIMARY KEY,
    channel_id  TEXT NOT NULL REFERENCES channels (id),
    body        BLOB NOT NULL,
    received_at INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX webhooks_received ON webhooks (channel_id, received_at, id);
CREATE INDEX webhooks_expiry ON webhooks (expires_at) WHERE expires_at <> 0;

CREATE TABLE requests (
    scope      TEXT NOT NULL,
    req_key    TEXT NOT NULL,
    result     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (scope, req_key)
);
CREATE INDEX requests_expiry ON requests (expires_at) WHERE expires_at <> 0;

ALTER TABLE contacts ADD COLUMN follow_changed_at INTEGER NOT NULL DEFAULT 0;

-- What the last settings check found, the quota state, and disconnection (history kept).
ALTER TABLE channels ADD COLUMN health_checks TEXT NOT NULL DEFAULT 'null';
ALTER TABLE channels ADD COLUMN checked_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE channels ADD COLUMN quota_exceeded_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE channels ADD COLUMN disconnected_at INTEGER NOT NULL DEFAULT 0;
-- This month's sends of a channel, counted for its quota.
CREATE INDEX messages_channel_sent ON messages (channel_id, time) WHERE direction = 'out';
