-- Notifications (FEATURES F12, F13): a snooze until the customer writes, and the last inbound message an
-- ignore or such a snooze covers; every user's notification list, each entry stored once per (user, key)
-- however often the work that adds it runs, listed newest first and counted unread by index; and the
-- users' notification settings.

ALTER TABLE notifications ADD COLUMN snoozed_until_inbound INTEGER NOT NULL DEFAULT 0;
ALTER TABLE notifications ADD COLUMN through_at INTEGER NOT NULL DEFAULT 0;

CREATE TABLE user_notifications (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL,
    notify_key      TEXT NOT NULL,
    event           TEXT NOT NULL,
    channel_id      TEXT NOT NULL,
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    message_id      TEXT NOT NULL,
    at              INTEGER NOT NULL,
    read_at         INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    UNIQUE (user_id, notify_key)
);
CREATE INDEX user_notifications_list ON user_notifications (user_id, created_at DESC, id DESC);
CREATE INDEX user_notifications_unread ON user_notifications (user_id, created_at DESC, id DESC) WHERE read_at = 0;
CREATE INDEX user_notifications_conversation ON user_notifications (conversation_id);

CREATE TABLE notification_settings (
    user_id        TEXT PRIMARY KEY,
    muted_events   TEXT NOT NULL,
    muted_channels TEXT NOT NULL,
    updated_at     INTEGER NOT NULL
);
