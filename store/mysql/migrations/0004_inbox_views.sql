-- Inbox views. A conversation mirrors its contact's linked record (kind, ID, owner and name) and keeps a
-- preview of its last message, so every view reads one table: a keyset walk over (last_message_at, id)
-- on an index whose leading columns are exactly the view's filter (where PostgreSQL and SQLite use a
-- partial index, the filtered column leads), stopping after a page however many conversations there
-- are. Link changes keep the records' names.

ALTER TABLE conversations ADD COLUMN preview BLOB NOT NULL DEFAULT ('');
ALTER TABLE conversations ADD COLUMN record_kind VARBINARY(255) NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN record_id VARBINARY(255) NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN record_owner VARBINARY(255) NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN record_name BLOB NOT NULL DEFAULT ('');
ALTER TABLE contacts ADD COLUMN record_name BLOB NOT NULL DEFAULT ('');
ALTER TABLE link_changes ADD COLUMN from_name BLOB NOT NULL DEFAULT ('');
ALTER TABLE link_changes ADD COLUMN to_name BLOB NOT NULL DEFAULT ('');

UPDATE conversations SET
    record_kind = (SELECT k.record_kind FROM contacts k WHERE k.id = conversations.contact_id),
    record_id = (SELECT k.record_id FROM contacts k WHERE k.id = conversations.contact_id),
    record_owner = (SELECT k.record_owner FROM contacts k WHERE k.id = conversations.contact_id);
UPDATE conversations SET last_message_at = created_at WHERE last_message_at = 0;

DROP INDEX conversations_inbox ON conversations;
DROP INDEX conversations_assignee ON conversations;
DROP INDEX conversations_assignee_unreplied ON conversations;
DROP INDEX conversations_channel ON conversations;
CREATE INDEX conversations_all ON conversations (last_message_at, id);
CREATE INDEX conversations_channel ON conversations (channel_id, last_message_at, id);
CREATE INDEX conversations_unregistered ON conversations (record_id, last_message_at, id);
CREATE INDEX conversations_unregistered_unreplied ON conversations (record_id, unreplied, last_message_at, id);
CREATE INDEX conversations_assignee ON conversations (assignee, last_message_at, id);
CREATE INDEX conversations_assignee_unreplied ON conversations (assignee, unreplied, last_message_at, id);
CREATE INDEX conversations_record_owner ON conversations (record_owner, last_message_at, id);
CREATE INDEX conversations_record_owner_unreplied ON conversations (record_owner, unreplied, last_message_at, id);
