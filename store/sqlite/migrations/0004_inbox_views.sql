-- Inbox views. A conversation mirrors its contact's linked record (kind, ID, owner and name) and keeps a
-- preview of its last message, so every view reads one table: a keyset walk over (last_message_at, id)
-- on an index whose leading columns or partial predicate are exactly the view's filter, stopping after a
-- page however many conversations there are. Link changes keep the records' names.

ALTER TABLE conversations ADD COLUMN preview TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN record_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN record_id TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN record_owner TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN record_name TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN record_name TEXT NOT NULL DEFAULT '';
ALTER TABLE link_changes ADD COLUMN from_name TEXT NOT NULL DEFAULT '';
ALTER TABLE link_changes ADD COLUMN to_name TEXT NOT NULL DEFAULT '';

UPDATE conversations SET
    record_kind = (SELECT k.record_kind FROM contacts k WHERE k.id = conversations.contact_id),
    record_id = (SELECT k.record_id FROM contacts k WHERE k.id = conversations.contact_id),
    record_owner = (SELECT k.record_owner FROM contacts k WHERE k.id = conversations.contact_id);
UPDATE conversations SET last_message_at = created_at WHERE last_message_at = 0;

DROP INDEX conversations_inbox;
DROP INDEX conversations_assignee;
DROP INDEX conversations_assignee_unreplied;
DROP INDEX conversations_channel;
CREATE INDEX conversations_all ON conversations (last_message_at DESC, id DESC);
CREATE INDEX conversations_channel ON conversations (channel_id, last_message_at DESC, id DESC);
CREATE INDEX conversations_unregistered ON conversations (last_message_at DESC, id DESC) WHERE record_id = '';
CREATE INDEX conversations_unregistered_unreplied ON conversations (last_message_at DESC, id DESC)
    WHERE record_id = '' AND unreplied = TRUE;
CREATE INDEX conversations_assignee ON conversations (assignee, last_message_at DESC, id DESC);
CREATE INDEX conversations_assignee_unreplied ON conversations (assignee, last_message_at DESC, id DESC)
    WHERE unreplied = TRUE;
CREATE INDEX conversations_record_owner ON conversations (record_owner, last_message_at DESC, id DESC)
    WHERE record_id <> '';
CREATE INDEX conversations_record_owner_unreplied ON conversations (record_owner, last_message_at DESC, id DESC)
    WHERE record_id <> '' AND unreplied = TRUE;
