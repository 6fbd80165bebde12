-- msgkit schema for PostgreSQL. Times are BIGINT microseconds since the Unix epoch (0: none), exactly as
-- memstore and the SQLite backend keep them; JSON-shaped fields are TEXT, kept verbatim.

CREATE TABLE channels (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    external_id TEXT NOT NULL,
    credentials TEXT NOT NULL,
    account     TEXT NOT NULL,
    active      BOOLEAN NOT NULL,
    assignment  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    version     BIGINT NOT NULL
);
CREATE UNIQUE INDEX channels_account ON channels (kind, external_id) WHERE external_id <> '';

CREATE TABLE contacts (
    id             TEXT PRIMARY KEY,
    channel_id     TEXT NOT NULL REFERENCES channels (id),
    peer_kind      TEXT NOT NULL,
    peer_id        TEXT NOT NULL,
    profile        TEXT NOT NULL,
    profile_status TEXT NOT NULL,
    profile_error  TEXT NOT NULL,
    followed       BOOLEAN NOT NULL,
    record_kind    TEXT NOT NULL,
    record_id      TEXT NOT NULL,
    record_owner   TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    version        BIGINT NOT NULL,
    UNIQUE (channel_id, peer_kind, peer_id)
);
CREATE INDEX contacts_record ON contacts (record_kind, record_id) WHERE record_id <> '';
CREATE INDEX contacts_owner ON contacts (record_owner) WHERE record_id <> '';

CREATE TABLE conversations (
    id                     TEXT PRIMARY KEY,
    channel_id             TEXT NOT NULL REFERENCES channels (id),
    contact_id             TEXT NOT NULL REFERENCES contacts (id),
    peer_kind              TEXT NOT NULL,
    peer_id                TEXT NOT NULL,
    assignee               TEXT NOT NULL,
    unreplied              BOOLEAN NOT NULL,
    last_inbound_at        BIGINT NOT NULL,
    last_outbound_at       BIGINT NOT NULL,
    last_message_at        BIGINT NOT NULL,
    reply_token            TEXT NOT NULL,
    reply_token_expires_at BIGINT NOT NULL,
    created_at             BIGINT NOT NULL,
    updated_at             BIGINT NOT NULL,
    version                BIGINT NOT NULL,
    UNIQUE (channel_id, peer_kind, peer_id)
);
-- The inbox: every view is a keyset walk over (last_message_at, id), narrowed by its leading columns.
CREATE INDEX conversations_inbox ON conversations (last_message_at DESC, id DESC);
CREATE INDEX conversations_assignee ON conversations (assignee, last_message_at DESC, id DESC);
CREATE INDEX conversations_assignee_unreplied ON conversations (assignee, unreplied, last_message_at DESC, id DESC);
CREATE INDEX conversations_channel ON conversations (channel_id, last_message_at DESC, id DESC);
CREATE INDEX conversations_contact ON conversations (contact_id);

CREATE TABLE messages (
    id                 TEXT PRIMARY KEY,
    conversation_id    TEXT NOT NULL REFERENCES conversations (id),
    channel_id         TEXT NOT NULL,
    direction          TEXT NOT NULL,
    kind               TEXT NOT NULL,
    channel_message_id TEXT NOT NULL,
    author             TEXT NOT NULL,
    content            TEXT NOT NULL,
    event              TEXT NOT NULL,
    status             TEXT NOT NULL,
    status_detail      TEXT NOT NULL,
    unsent             BOOLEAN NOT NULL,
    billable           BOOLEAN NOT NULL,
    time               BIGINT NOT NULL,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    version            BIGINT NOT NULL
);
CREATE UNIQUE INDEX messages_channel_message ON messages (channel_id, channel_message_id) WHERE channel_message_id <> '';
CREATE INDEX messages_conversation ON messages (conversation_id, time, id);

CREATE TABLE dedup (
    key        TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX dedup_expiry ON dedup (expires_at);

CREATE TABLE cursors (
    pool  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);

CREATE TABLE assignments (
    id              TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    from_user       TEXT NOT NULL,
    to_user         TEXT NOT NULL,
    by_user         TEXT NOT NULL,
    reason          TEXT NOT NULL,
    at              BIGINT NOT NULL
);
CREATE INDEX assignments_conversation ON assignments (conversation_id, at, id);
CREATE INDEX assignments_to_user ON assignments (to_user, at);

CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,
    channel_id      TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    peer            TEXT NOT NULL,
    message_ids     TEXT NOT NULL,
    reply_token     TEXT NOT NULL,
    retry_key       TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    last_error      TEXT NOT NULL,
    lease           TEXT NOT NULL,
    lease_until     BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE status = 'pending';

CREATE TABLE notifications (
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    user_id         TEXT NOT NULL,
    snoozed_until   BIGINT NOT NULL,
    ignored         BOOLEAN NOT NULL,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
);

CREATE TABLE templates (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    channel_kind TEXT NOT NULL,
    body         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    version      BIGINT NOT NULL,
    UNIQUE (channel_kind, name)
);

CREATE TABLE link_changes (
    id         TEXT PRIMARY KEY,
    contact_id TEXT NOT NULL,
    from_kind  TEXT NOT NULL,
    from_id    TEXT NOT NULL,
    from_owner TEXT NOT NULL,
    to_kind    TEXT NOT NULL,
    to_id      TEXT NOT NULL,
    to_owner   TEXT NOT NULL,
    by_user    TEXT NOT NULL,
    reason     TEXT NOT NULL,
    at         BIGINT NOT NULL
);
CREATE INDEX link_changes_contact ON link_changes (contact_id, at, id);
