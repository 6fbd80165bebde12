-- What became of each outbound part: as_is, degraded or rejected (empty for inbound messages).
ALTER TABLE messages ADD COLUMN outcome TEXT NOT NULL DEFAULT '';
