// Package blob is where msgkit keeps file content it must serve: agents' uploads, outbound media
// re-hosted for a channel, copies of inbound media. A Store checksums content (SHA-256), types it by
// sniffing the bytes rather than trusting a name, enforces a size limit while reading, and keeps it
// in a Bucket; a Server serves it to channels and to the inbox under signed, expiring URLs.
//
// # Buckets, and why not gocloud.dev/blob directly
//
// Bucket is a four-method contract (Write all-or-nothing, Open seekable, Stat, Delete). Dir (a local
// directory, the embedded default) and Memory (tests, demos) ship here with only the standard
// library; cdkblob adapts any gocloud.dev/blob bucket, so a host gets S3, GCS or Azure by changing a
// URL. The Store does not take a gocloud bucket itself because gocloud.dev/blob alone links about 190
// packages (gRPC, protobuf, the OpenTelemetry SDK) into every importer, and the conversation service
// imports this package: the cost belongs to the hosts that choose a cloud bucket. blobtest checks any
// Bucket against the contract; Memory, Dir and cdkblob (over memblob and fileblob) pass it.
//
// # Keys
//
// Put makes random keys (128 bits, hex, under an optional prefix such as "uploads/"), not
// content-addressed ones: content streams to the bucket in one pass; deleting one message's copy never
// removes another's with the same bytes; a key reveals nothing about the content. A durable job passes
// its own key (PutOptions.Key, derived from the message) so a retry overwrites rather than orphans.
// Keys use a URL- and file-safe alphabet (ValidKey).
//
// # Types
//
// Sniff extends net/http.DetectContentType with what it misses for common media: M4A (which it calls
// video/mp4), HEIC/HEIF, AVIF, QuickTime, 3GPP, MP3 without an ID3 tag, AAC. A claimed type only
// refines a generic sniffed one (text/plain to text/csv, application/zip to .docx); it never makes
// content an image, a video, HTML or a script.
//
// # Signed URLs
//
// base + "/" + key + "?exp=" + unix seconds + "&sig=" + base64url(HMAC-SHA256(k, "msgkit-blob-v1\n" +
// key + "\n" + exp)). The first of the Server's keys signs and all verify, for rotation. A forged or
// malformed URL is 403 ("forged"), an expired one 410 ("expired"); the Server never lists. See Server.
//
// # Errors
//
// ErrNotFound, ErrTooLarge, ErrInvalidKey, ErrForged, ErrExpired; a Bucket's own errors are wrapped.
//
// # Concurrency
//
// Store, Server, Memory and Dir are safe for concurrent use; so must every Bucket be.
//
// # Testing
//
// Memory is a real Bucket for tests. blobtest.RunBucket is the conformance suite for Bucket authors.
// The sniffing table runs on real files (testdata/README.md says how they were made).
package blob
