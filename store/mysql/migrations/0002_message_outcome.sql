-- What became of each outbound part: as_is, degraded or rejected (empty for inbound messages).
ALTER TABLE messages ADD COLUMN outcome VARBINARY(255) NOT NULL DEFAULT '';
