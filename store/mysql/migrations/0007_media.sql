-- Inbound media kept (issue 16): the state of msgkit's copy of a message's media in the host's blob
-- store. media_status is '' when no copy is kept, else pending, ready or failed; key, type, size and
-- SHA-256 are set when ready; media_detail says why a copy failed or is still pending.
ALTER TABLE messages ADD COLUMN media_status VARBINARY(255) NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN media_key BLOB NOT NULL DEFAULT ('');
ALTER TABLE messages ADD COLUMN media_type VARBINARY(255) NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN media_size BIGINT NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN media_sha256 VARBINARY(255) NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN media_detail BLOB NOT NULL DEFAULT ('');
