package channel

import (
	"maps"
	"slices"
)

// Clone returns a deep copy of m: it shares no slice, map or pointer with m, so either can be changed
// without changing the other. Stores keep and return clones.
func (m Message) Clone() Message {
	m.Emojis = slices.Clone(m.Emojis)
	m.Mentions = slices.Clone(m.Mentions)
	m.QuickReplies = slices.Clone(m.QuickReplies)
	m.Raw = slices.Clone(m.Raw)
	m.Media = clonePtr(m.Media)
	if m.Media != nil {
		m.Media.Set = clonePtr(m.Media.Set)
	}
	m.Location = clonePtr(m.Location)
	m.Sticker = clonePtr(m.Sticker)
	if m.Sticker != nil {
		m.Sticker.Keywords = slices.Clone(m.Sticker.Keywords)
	}
	m.Link = clonePtr(m.Link)
	m.Template = clonePtr(m.Template)
	if m.Template != nil {
		m.Template.BodyParams = slices.Clone(m.Template.BodyParams)
		m.Template.Components = slices.Clone(m.Template.Components)
	}
	m.Sender = clonePtr(m.Sender)
	return m
}

// Clone returns a deep copy of e, sharing nothing with it (see Message.Clone).
func (e Event) Clone() Event {
	if e.Message != nil {
		m := e.Message.Clone()
		e.Message = &m
	}
	e.Profile = clonePtr(e.Profile)
	e.Members = slices.Clone(e.Members)
	e.Postback = clonePtr(e.Postback)
	if e.Postback != nil {
		e.Postback.Params = maps.Clone(e.Postback.Params)
	}
	e.Beacon = clonePtr(e.Beacon)
	e.AccountLink = clonePtr(e.AccountLink)
	e.Receipt = clonePtr(e.Receipt)
	e.Reaction = clonePtr(e.Reaction)
	e.Raw = slices.Clone(e.Raw)
	return e
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	c := *p
	return &c
}
