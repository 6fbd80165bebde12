package channel

// PeerKind says what a Peer is: a single user, or a multi-person chat.
type PeerKind string

// Peer kinds.
const (
	PeerUser  PeerKind = "user"
	PeerGroup PeerKind = "group"
	PeerRoom  PeerKind = "room"
)

// Peer is who the business talks to on a channel: a user in a one-to-one chat, or a group or room.
//
// Kind and ID identify the conversation (they are what Send addresses). UserID is the user who acted:
// for a user peer it equals ID; for a group or room it is the member who spoke, and may be empty when
// the channel does not say (LINE omits it for users who have not consented to share their profile).
type Peer struct {
	Kind   PeerKind `json:"kind"`
	ID     string   `json:"id"`
	UserID string   `json:"userId,omitempty"`
}

// User returns the Peer of a one-to-one chat with the user id.
func User(id string) Peer { return Peer{Kind: PeerUser, ID: id, UserID: id} }

// Group returns the Peer of a group chat; member is the user who spoke, if known.
func Group(id, member string) Peer { return Peer{Kind: PeerGroup, ID: id, UserID: member} }

// Room returns the Peer of a multi-person room; member is the user who spoke, if known.
func Room(id, member string) Peer { return Peer{Kind: PeerRoom, ID: id, UserID: member} }

// IsZero reports whether p identifies nobody.
func (p Peer) IsZero() bool { return p.ID == "" }

// Chat returns p without the acting user: the identity of the conversation itself, as stores keep it.
// Two events from different members of one group have the same Chat.
func (p Peer) Chat() Peer { return Peer{Kind: p.Kind, ID: p.ID} }

// String returns "kind:id", for display and map keys. It is not personal data by itself, but it is an
// identifier: log it only where identifiers may be logged.
func (p Peer) String() string { return string(p.Kind) + ":" + p.ID }
