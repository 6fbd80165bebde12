// Package attach is the contract for attachment sources: where a file an agent attaches to a reply
// comes from (FEATURES.md F16). A Source resolves a reference to a File (name, content type, size, a
// stable ID) and opens its content under a caller's size limit; a source that can hand out a
// temporary direct URL also implements URLer. A Registry holds sources by name, so a reply names a
// source and a reference (a Ref) and the conversation service finds the file.
//
// # Sources
//
// Each lives in its own package, so an importer pays only for what it uses:
//
//   - gdrive: Google Drive (files.get, alt=media; Google Docs, Sheets, Slides exported as PDF)
//   - dropbox: Dropbox (files/get_metadata, files/download, files/get_temporary_link)
//   - onedrive: OneDrive and SharePoint through Microsoft Graph (driveItem, @microsoft.graph.downloadUrl)
//   - box: Box (GET /2.0/files/{id} and /content, a 302 to the download URL)
//   - upload: files an agent uploaded, kept in msgkit's blob store (conversation/blob)
//   - the CRM's own files: the host implements Source over its file store (see the Example) and
//     registers it like any other.
//
// A host adds its own by implementing Source (two methods: Resolve and Open, with the errors below)
// and registering it under a name; the conversation service takes the Registry as
// conversation.Options.Files.Sources, and a reply names a file as conversation.Attachment{Source:
// name, Ref: id}. The service re-hosts what it opens in the blob store and checks it against the
// channel's media rules; the source never needs to hand out public URLs.
//
// Evernote is left out on purpose. Its API is Thrift over HTTP (NoteStore.getResource with a
// per-user shard URL and developer tokens), not REST; a faithful client means generated Thrift code
// and a fake of that protocol, and a stub that looks supported but cannot be tested against the real
// shape would be worse than none. A host that needs it implements Source over Evernote's own SDK.
//
// # Tokens
//
// The OAuth flow that gets the host a token for a user's drive is the host's. Sources take a
// TokenSource: one method, Token(ctx) (string, error), called for every request. It is msgkit's own
// rather than golang.org/x/oauth2's because that module is not otherwise a dependency, its
// TokenSource takes no context (so a token lookup could not be cancelled or tell per-agent tokens
// apart), and adapting one to the other is five lines (see TokenSource). StaticToken and TokenFunc
// cover the simple cases.
//
// # Errors
//
// Every failure wraps one category: ErrNotFound, ErrForbidden, ErrTooLarge, ErrUnavailable (retryable,
// with a delay when the source gave one: RetryAfter), through an *Error naming the source (the name it
// is registered under), the provider and its error code. A Registry adds ErrUnknownSource and
// errors.ErrUnsupported (URL on a source that has none). No error holds a token, a temporary URL, the
// file's content or the reference, which may be personal (a path with a customer's name).
//
// # Optional capabilities
//
// URLer: a temporary direct URL (Dropbox, OneDrive, Box). Registry.URL returns errors.ErrUnsupported
// for a source without it; the caller then copies the content through Open into the blob store and
// serves it under a signed URL of its own.
//
// # Concurrency
//
// A Registry is safe for concurrent use, and so must every Source be.
//
// # Testing
//
// Each provider package is tested against an httptest fake of its API's real shape (paths, auth
// header, JSON, redirects, error bodies); its testdata/README.md cites the provider's documentation.
// A host tests its own Source through a Registry, which enforces the size limit and names errors.
package attach
