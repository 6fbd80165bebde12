-- Notifications (FEATURES F12, F13): a snooze until the customer writes, and the last inbound message an
-- ignore or such a snooze covers; every user's notification list, each entry stored once per (user, key)
-- however often the work that adds it runs, listed newest first and counted unread by index; and the
-- users' notification settings.

ALTER TABLE notifications ADD COLUMN snoozed_until_inbound BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE notifications ADD COLUMN through_at BIGINT NOT NULL DEFAULT 0;

CREATE TABLE user_notifications (
    id              VARBINARY(255) PRIMARY KEY,
    user_id         VARBINARY(255) NOT NULL,
    notify_key      VARBINARY(255) NOT NULL,
    event           VARBINARY(255) NOT NULL,
    channel_id      VARBINARY(255) NOT NULL,
    conversation_id VARBINARY(255) NOT NULL,
    message_id      VARBINARY(255) NOT NULL,
    at              BIGINT NOT NULL,
    read_at         BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    UNIQUE KEY user_notifications_key (user_id, notify_key),
    KEY user_notifications_list (user_id, created_at, id),
    -- The unread list and badge: read_at = 0 leads after the user (a partial index elsewhere).
    KEY user_notifications_unread (user_id, read_at, created_at, id),
    KEY user_notifications_conversation (conversation_id),
    CONSTRAINT user_notifications_conversation_fk FOREIGN KEY (conversation_id) REFERENCES conversations (id)
) ENGINE = InnoDB;

CREATE TABLE notification_settings (
    user_id        VARBINARY(255) PRIMARY KEY,
    muted_events   LONGBLOB NOT NULL,
    muted_channels LONGBLOB NOT NULL,
    updated_at     BIGINT NOT NULL
) ENGINE = InnoDB;
