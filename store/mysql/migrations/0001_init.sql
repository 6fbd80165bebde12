-- msgkit schema for MySQL (8.0.13+) and MariaDB (10.6+). Times are BIGINT microseconds since the Unix
-- epoch (0: none), exactly as memstore and the other SQL backends keep them; booleans are BOOLEAN
-- (TINYINT(1)).
--
-- Text is kept as bytes: identifiers and keys (everything indexed) are VARBINARY(255), free text BLOB,
-- JSON-shaped fields LONGBLOB. So text comes back byte for byte whatever it holds (NUL, invalid UTF-8),
-- and compares and sorts byte-wise, as Go compares strings: no collation folds case, accents or trailing
-- spaces into one key.
--
-- MySQL has no partial indexes. A unique key that holds only for some rows (a channel's account when it
-- has one, a message's channel ID when it has one, a pending job's key, an event's ID) is a unique index
-- over the key and a generated column that is 1 where the key applies and NULL elsewhere: rows with NULL
-- never collide, and lookups by the key use the index's leading columns. The other partial indexes of
-- the PostgreSQL and SQLite schemas become indexes that lead with the filtered column.
--
-- MySQL's support starts after the outbox became jobs (0003): no MySQL database ever had the outbox or
-- dedup tables, so this schema does not create them.

CREATE TABLE channels (
    id             VARBINARY(255) PRIMARY KEY,
    name           BLOB NOT NULL,
    kind           VARBINARY(255) NOT NULL,
    external_id    VARBINARY(255) NOT NULL,
    credentials    LONGBLOB NOT NULL,
    account        LONGBLOB NOT NULL,
    active         BOOLEAN NOT NULL,
    assignment     LONGBLOB NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    version        BIGINT NOT NULL,
    account_unique BOOLEAN AS (CASE WHEN external_id <> '' THEN 1 END) STORED,
    UNIQUE KEY channels_account (kind, external_id, account_unique)
) ENGINE = InnoDB;

CREATE TABLE contacts (
    id             VARBINARY(255) PRIMARY KEY,
    channel_id     VARBINARY(255) NOT NULL,
    peer_kind      VARBINARY(255) NOT NULL,
    peer_id        VARBINARY(255) NOT NULL,
    profile        LONGBLOB NOT NULL,
    profile_status VARBINARY(255) NOT NULL,
    profile_error  BLOB NOT NULL,
    followed       BOOLEAN NOT NULL,
    record_kind    VARBINARY(255) NOT NULL,
    record_id      VARBINARY(255) NOT NULL,
    record_owner   VARBINARY(255) NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    version        BIGINT NOT NULL,
    UNIQUE KEY contacts_peer (channel_id, peer_kind, peer_id),
    KEY contacts_record (record_kind, record_id),
    KEY contacts_owner (record_owner),
    CONSTRAINT contacts_channel FOREIGN KEY (channel_id) REFERENCES channels (id)
) ENGINE = InnoDB;

CREATE TABLE conversations (
    id                     VARBINARY(255) PRIMARY KEY,
    channel_id             VARBINARY(255) NOT NULL,
    contact_id             VARBINARY(255) NOT NULL,
    peer_kind              VARBINARY(255) NOT NULL,
    peer_id                VARBINARY(255) NOT NULL,
    assignee               VARBINARY(255) NOT NULL,
    unreplied              BOOLEAN NOT NULL,
    last_inbound_at        BIGINT NOT NULL,
    last_outbound_at       BIGINT NOT NULL,
    last_message_at        BIGINT NOT NULL,
    reply_token            BLOB NOT NULL,
    reply_token_expires_at BIGINT NOT NULL,
    created_at             BIGINT NOT NULL,
    updated_at             BIGINT NOT NULL,
    version                BIGINT NOT NULL,
    UNIQUE KEY conversations_peer (channel_id, peer_kind, peer_id),
    KEY conversations_contact (contact_id),
    CONSTRAINT conversations_channel_fk FOREIGN KEY (channel_id) REFERENCES channels (id),
    CONSTRAINT conversations_contact_fk FOREIGN KEY (contact_id) REFERENCES contacts (id)
) ENGINE = InnoDB;
-- The inbox: every view is a keyset walk over (last_message_at, id), narrowed by its leading columns.
CREATE INDEX conversations_inbox ON conversations (last_message_at, id);
CREATE INDEX conversations_assignee ON conversations (assignee, last_message_at, id);
CREATE INDEX conversations_assignee_unreplied ON conversations (assignee, unreplied, last_message_at, id);
CREATE INDEX conversations_channel ON conversations (channel_id, last_message_at, id);

CREATE TABLE messages (
    id                 VARBINARY(255) PRIMARY KEY,
    conversation_id    VARBINARY(255) NOT NULL,
    channel_id         VARBINARY(255) NOT NULL,
    direction          VARBINARY(255) NOT NULL,
    kind               VARBINARY(255) NOT NULL,
    channel_message_id VARBINARY(255) NOT NULL,
    author             VARBINARY(255) NOT NULL,
    content            LONGBLOB NOT NULL,
    event              LONGBLOB NOT NULL,
    status             VARBINARY(255) NOT NULL,
    status_detail      BLOB NOT NULL,
    unsent             BOOLEAN NOT NULL,
    billable           BOOLEAN NOT NULL,
    time               BIGINT NOT NULL,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    version            BIGINT NOT NULL,
    channel_message_unique BOOLEAN AS (CASE WHEN channel_message_id <> '' THEN 1 END) STORED,
    UNIQUE KEY messages_channel_message (channel_id, channel_message_id, channel_message_unique),
    KEY messages_conversation (conversation_id, time, id),
    CONSTRAINT messages_conversation_fk FOREIGN KEY (conversation_id) REFERENCES conversations (id)
) ENGINE = InnoDB;

CREATE TABLE cursors (
    pool  VARBINARY(255) PRIMARY KEY,
    value BIGINT NOT NULL
) ENGINE = InnoDB;

CREATE TABLE assignments (
    id              VARBINARY(255) PRIMARY KEY,
    conversation_id VARBINARY(255) NOT NULL,
    from_user       VARBINARY(255) NOT NULL,
    to_user         VARBINARY(255) NOT NULL,
    by_user         VARBINARY(255) NOT NULL,
    reason          VARBINARY(255) NOT NULL,
    at              BIGINT NOT NULL,
    KEY assignments_conversation (conversation_id, at, id),
    KEY assignments_to_user (to_user, at)
) ENGINE = InnoDB;

CREATE TABLE notifications (
    conversation_id VARBINARY(255) NOT NULL,
    user_id         VARBINARY(255) NOT NULL,
    snoozed_until   BIGINT NOT NULL,
    ignored         BOOLEAN NOT NULL,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, user_id),
    CONSTRAINT notifications_conversation_fk FOREIGN KEY (conversation_id) REFERENCES conversations (id)
) ENGINE = InnoDB;

CREATE TABLE templates (
    id           VARBINARY(255) PRIMARY KEY,
    name         VARBINARY(255) NOT NULL,
    channel_kind VARBINARY(255) NOT NULL,
    body         BLOB NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    version      BIGINT NOT NULL,
    UNIQUE KEY templates_name (channel_kind, name)
) ENGINE = InnoDB;

CREATE TABLE link_changes (
    id         VARBINARY(255) PRIMARY KEY,
    contact_id VARBINARY(255) NOT NULL,
    from_kind  VARBINARY(255) NOT NULL,
    from_id    VARBINARY(255) NOT NULL,
    from_owner VARBINARY(255) NOT NULL,
    to_kind    VARBINARY(255) NOT NULL,
    to_id      VARBINARY(255) NOT NULL,
    to_owner   VARBINARY(255) NOT NULL,
    by_user    VARBINARY(255) NOT NULL,
    reason     VARBINARY(255) NOT NULL,
    at         BIGINT NOT NULL,
    KEY link_changes_contact (contact_id, at, id)
) ENGINE = InnoDB;
