package memstore

import (
	"slices"

	"github.com/google/btree"

	"github.com/msgkit/msgkit/store"
)

// viewKey names one inbox index: the conversations of a scope, optionally only one channel's and only the
// unreplied ones, in inbox order. A view walks the index that matches its filters exactly, so a page
// costs the rows it returns, not the conversations other views keep.
type viewKey struct {
	scope     string // "" every conversation; see scopeAll and the other scope constructors
	channel   string // "" any channel
	unreplied bool
}

// Scopes of a viewKey: every conversation has scopeAll, scopeUnassigned or one assignee's, and
// scopeUnregistered or scopeLinked and, with an owner, that record owner's.
const (
	scopeAll          = ""
	scopeUnassigned   = "n"
	scopeUnregistered = "u"
	scopeLinked       = "l"
)

func scopeAssignee(user string) string { return "a\x00" + user }
func scopeOwner(user string) string    { return "o\x00" + user }

// scopes returns the scopes conversation c belongs to (at most 4).
func scopes(c store.Conversation) []string {
	s := make([]string, 0, 4)
	s = append(s, scopeAll)
	if c.Assignee == "" {
		s = append(s, scopeUnassigned)
	} else {
		s = append(s, scopeAssignee(c.Assignee))
	}
	if c.Record.IsZero() {
		s = append(s, scopeUnregistered)
	} else {
		s = append(s, scopeLinked)
		if c.Record.Owner != "" {
			s = append(s, scopeOwner(c.Record.Owner))
		}
	}
	return s
}

// viewKeys returns the indexes conversation c belongs to: 4 per scope at most.
func viewKeys(c store.Conversation) []viewKey {
	keys := make([]viewKey, 0, 16)
	for _, s := range scopes(c) {
		keys = append(keys, viewKey{scope: s}, viewKey{scope: s, channel: c.ChannelID})
		if c.Unreplied {
			keys = append(keys, viewKey{scope: s, unreplied: true}, viewKey{scope: s, channel: c.ChannelID, unreplied: true})
		}
	}
	return keys
}

// viewKeyOf returns the index view v walks: every conversation it selects is in it, and most of it is
// selected (all but those the "today" cut-off or an unusual combination of filters leaves out).
func viewKeyOf(v store.View) viewKey {
	k := viewKey{channel: v.ChannelID, unreplied: v.Unreplied}
	switch {
	case v.Assignee != "":
		k.scope = scopeAssignee(v.Assignee)
	case v.Unassigned:
		k.scope = scopeUnassigned
	case v.RecordOwner != "":
		k.scope = scopeOwner(v.RecordOwner)
	case v.Linkage == store.Unregistered:
		k.scope = scopeUnregistered
	case v.Linkage == store.Linked:
		k.scope = scopeLinked
	}
	return k
}

func newInbox() *btree.BTreeG[store.Cursor] {
	return btree.NewG(32, func(a, b store.Cursor) bool { return a.Before(b) })
}

// putConv stores conversation c and moves it in every index its changes concern, journaling both.
func (h *handle) putConv(c store.Conversation) {
	old, had := h.st.convs[c.ID]
	put(h.tx, h.st.convs, c.ID, c)
	if !had {
		h.addToContact(c.ContactID, c.ID)
		h.reindex(nil, inboxKey(c), viewKeys(c), inboxKey(c))
		return
	}
	h.reindex(viewKeys(old), inboxKey(old), viewKeys(c), inboxKey(c))
}

// delConv deletes conversation id from the conversations and every index, journaling it.
func (h *handle) delConv(id string) {
	c, ok := h.st.convs[id]
	if !ok {
		return
	}
	h.reindex(viewKeys(c), inboxKey(c), nil, store.Cursor{})
	h.removeFromContact(c.ContactID, id)
	del(h.tx, h.st.convs, id)
}

// reindex moves a conversation from position old in the indexes oldKeys to position new in newKeys,
// journaling the inverse move.
func (h *handle) reindex(oldKeys []viewKey, old store.Cursor, newKeys []viewKey, new store.Cursor) {
	if old == new && slices.Equal(oldKeys, newKeys) {
		return
	}
	move := func(fromKeys []viewKey, from store.Cursor, toKeys []viewKey, to store.Cursor) {
		for _, k := range fromKeys {
			h.st.views[k].Delete(from)
		}
		for _, k := range toKeys {
			t, ok := h.st.views[k]
			if !ok {
				t = newInbox()
				h.st.views[k] = t
			}
			t.ReplaceOrInsert(to)
		}
	}
	move(oldKeys, old, newKeys, new)
	if h.tx != nil {
		h.tx.undo = append(h.tx.undo, func() { move(newKeys, new, oldKeys, old) })
	}
}

// recordKey is a record's place in recordContacts; ok is false for no record.
func recordKey(r store.RecordRef) (key [2]string, ok bool) {
	return [2]string{string(r.Kind), r.ID}, r.ID != ""
}

// putContact stores contact c and moves it between records' contact lists, journaling both.
func (h *handle) putContact(c store.Contact) {
	old, had := h.st.contacts[c.ID]
	put(h.tx, h.st.contacts, c.ID, c)
	oldKey, oldOK := recordKey(old.Record)
	newKey, newOK := recordKey(c.Record)
	if had && oldOK == newOK && oldKey == newKey {
		return
	}
	if had && oldOK {
		putList(h.tx, h.st.recordContacts, oldKey, without(h.st.recordContacts[oldKey], c.ID))
	}
	if newOK {
		putList(h.tx, h.st.recordContacts, newKey, append(slices.Clone(h.st.recordContacts[newKey]), c.ID))
	}
}

// delContact deletes contact id and its place in its record's contact list, journaling both.
func (h *handle) delContact(id string) {
	c, ok := h.st.contacts[id]
	if !ok {
		return
	}
	if key, ok := recordKey(c.Record); ok {
		putList(h.tx, h.st.recordContacts, key, without(h.st.recordContacts[key], id))
	}
	del(h.tx, h.st.contacts, id)
}

func (h *handle) addToContact(contactID, convID string) {
	putList(h.tx, h.st.convsByContact, contactID, append(slices.Clone(h.st.convsByContact[contactID]), convID))
}

func (h *handle) removeFromContact(contactID, convID string) {
	putList(h.tx, h.st.convsByContact, contactID, without(h.st.convsByContact[contactID], convID))
}

// putList sets m[k] = ids, or deletes it when ids is empty, journaling the change. ids must be a fresh
// slice: the journal keeps the previous one.
func putList[K comparable](j *journal, m map[K][]string, k K, ids []string) {
	if len(ids) == 0 {
		del(j, m, k)
		return
	}
	put(j, m, k, ids)
}

// without returns a new slice of ids without id.
func without(ids []string, id string) []string {
	return slices.DeleteFunc(slices.Clone(ids), func(x string) bool { return x == id })
}
