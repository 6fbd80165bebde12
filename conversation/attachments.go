package conversation

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"strings"
	"time"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/conversation/attach"
	"github.com/msgkit/msgkit/conversation/blob"
	"github.com/msgkit/msgkit/internal/probe"
	"github.com/msgkit/msgkit/store"
)

// target is what a reply is composed for: the channel's send limits and, when it states them, its
// media rules.
type target struct {
	limits   channel.Limits
	rules    channel.MediaRules
	hasRules bool
}

func targetOf(a channel.Adapter) target {
	t := target{limits: limitsOf(a)}
	if r, err := channel.MediaRulesOf(a); err == nil {
		t.rules, t.hasRules = r, true
	}
	return t
}

// hostedKey is the blob key of the file re-hosted for the outbound part pid (the message ID it is
// stored under), and previewKey that of the preview image made for it.
func hostedKey(pid string) string  { return outboundPrefix + pid }
func previewKey(pid string) string { return outboundPrefix + pid + "-preview" }

// hosted collects the blob keys a reply wrote while it was composed, so that a reply that is not
// stored leaves nothing behind.
type hosted struct{ keys []string }

// attachmentPart turns attachment i into a part: a file named by source is re-hosted in the blob
// store and checked against the channel's media rules; a file given by URL is checked by what the
// host states of it. It returns an *AttachmentError when the reply must not go out.
func (s *Service) attachmentPart(ctx context.Context, i int, a Attachment, t target, pid string, h *hosted) (part, error) {
	if a.Source == "" && a.Ref == "" {
		return urlPart(a, t), nil
	}
	f := s.o.Files
	if f.Sources == nil {
		return part{}, attachmentError(i, a.Source, &attach.Error{Source: a.Source, Op: "open", Err: attach.ErrUnknownSource})
	}
	limit := f.MaxAttachmentBytes
	for _, m := range t.rules.Media {
		limit = max(limit, m.MaxBytes)
	}
	rc, file, err := f.Sources.Open(ctx, attach.Ref{Source: a.Source, ID: a.Ref}, limit)
	if err != nil {
		return part{}, attachmentError(i, a.Source, err)
	}
	key := hostedKey(pid)
	obj, err := f.Store.Put(ctx, rc, limit, &blob.PutOptions{Key: key, Name: cmp.Or(a.Name, file.Name), ContentType: file.ContentType})
	_ = rc.Close()
	if err != nil {
		return part{}, attachmentError(i, a.Source, err)
	}
	h.keys = append(h.keys, key)
	p, err := s.hostedPart(ctx, obj, cmp.Or(a.Name, obj.Name), a.Duration, t, pid, h)
	if err != nil {
		var ae *AttachmentError
		if errors.As(err, &ae) {
			ae.Index, ae.Source = i, a.Source
			return part{}, ae
		}
		return part{}, attachmentError(i, a.Source, err)
	}
	return p, nil
}

// hostedPart decides how a re-hosted file goes out: as the media message its type's rule sends when
// it fits (with the preview and the length the rule needs), as a link to it otherwise, saying why.
// A file too large even for a link is an *AttachmentError.
func (s *Service) hostedPart(ctx context.Context, obj blob.Object, name string, d time.Duration, t target, pid string, h *hosted) (part, error) {
	f := s.o.Files
	u := f.Server.SignedURL(obj.Key, f.ChannelURLTTL)
	ct := baseType(obj.ContentType)
	asLink := func(why string) (part, error) {
		if obj.Size > f.MaxAttachmentBytes {
			return part{}, &AttachmentError{Reason: fmt.Sprintf("the file is %s, and this channel takes %s files as links of at most %s (%s)",
				channel.Bytes(obj.Size), ct, channel.Bytes(f.MaxAttachmentBytes), why), Err: attach.ErrTooLarge}
		}
		p := linkPart(u, name, t.limits)
		p.detail = "sent as a link: " + why
		return p, nil
	}
	rule, ok := s.ruleFor(ct, t)
	if !ok {
		return asLink("the channel cannot send " + ct + " files as media")
	}
	if d <= 0 && (rule.Type == channel.TypeAudio || rule.MaxDuration > 0) {
		d = s.duration(ctx, obj)
	}
	if t.hasRules {
		if _, err := t.rules.Fit(ct, obj.Size, d); err != nil {
			var me *channel.MediaError
			if errors.As(err, &me) {
				return asLink(me.Reason)
			}
			return asLink("the channel cannot send it as media")
		}
	}
	if !t.limits.Supports(rule.Type) {
		return asLink(fmt.Sprintf("the channel cannot send %s messages", rule.Type))
	}
	preview := u
	if rule.Type == channel.TypeImage || rule.Type == channel.TypeVideo {
		var why string
		var err error
		preview, why, err = s.preview(ctx, obj, u, rule, pid, h)
		if err != nil {
			return part{}, err
		}
		if why != "" {
			return asLink(why)
		}
	}
	if most := t.rules.MaxURLLength; most > 0 && (len(u) > most || len(preview) > most) {
		return asLink(fmt.Sprintf("its address is longer than the %d characters the channel takes", most))
	}
	var m channel.Message
	switch rule.Type {
	case channel.TypeImage:
		m = channel.Image(u, preview)
	case channel.TypeVideo:
		m = channel.Video(u, preview)
	case channel.TypeAudio:
		if d <= 0 {
			return asLink("its length could not be read")
		}
		m = channel.Audio(u, d)
	}
	if err := m.Validate(); err != nil {
		return asLink("the channel cannot fetch it from the blob server's address (it must be HTTPS)")
	}
	return part{msg: m, outcome: store.OutcomeAsIs}, nil
}

// ruleFor returns the media rule a file of type ct goes by: the channel's, or, for a channel that
// states none, one built from the message types it sends (any image as an image previewing itself, a
// video with a generated poster, audio whose length can be read).
func (s *Service) ruleFor(ct string, t target) (channel.MediaRule, bool) {
	if t.hasRules {
		return t.rules.For(ct)
	}
	kind, _, _ := strings.Cut(ct, "/")
	switch kind {
	case "image":
		return channel.MediaRule{Type: channel.TypeImage}, true
	case "video":
		return channel.MediaRule{Type: channel.TypeVideo, Preview: &channel.PreviewRule{
			ContentTypes: []string{"image/jpeg", "image/png"}, MaxBytes: 1 << 20}}, true
	case "audio":
		return channel.MediaRule{Type: channel.TypeAudio, NeedsDuration: true}, true
	}
	return channel.MediaRule{}, false
}

// duration reads a re-hosted clip's length, or returns 0.
func (s *Service) duration(ctx context.Context, obj blob.Object) time.Duration {
	rc, _, err := s.o.Files.Store.Open(ctx, obj.Key)
	if err != nil {
		return 0
	}
	defer rc.Close()
	d, err := probe.Duration(rc, obj.ContentType)
	if err != nil {
		return 0
	}
	return d
}

// preview returns the URL of the preview image a media message of rule's type needs: the original
// image itself when the rule takes it as its preview, or one msgkit makes and re-hosts (a scaled-down
// copy of an image, a poster for a video). why says why none could be had; err is a storage failure.
func (s *Service) preview(ctx context.Context, obj blob.Object, u string, rule channel.MediaRule, pid string, h *hosted) (string, string, error) {
	pr := rule.Preview
	if pr == nil {
		return u, "", nil // the channel needs none; the message carries the original's URL
	}
	if rule.Type == channel.TypeImage && channel.Takes(pr.ContentTypes, obj.ContentType) && obj.Size <= pr.MaxBytes {
		return u, "", nil // small enough to be its own preview
	}
	var b []byte
	var ct string
	var err error
	if rule.Type == channel.TypeImage {
		rc, _, oerr := s.o.Files.Store.Open(ctx, obj.Key)
		if oerr != nil {
			return "", "", oerr
		}
		b, ct, err = thumbnail(rc, obj.ContentType, pr, s.o.Files.MaxPreviewPixels)
		_ = rc.Close()
	} else {
		b, ct, err = poster(pr)
	}
	if err != nil {
		return "", "a preview image the channel takes could not be made from it (" + err.Error() + ")", nil
	}
	key := previewKey(pid)
	pobj, err := s.o.Files.Store.Put(ctx, bytes.NewReader(b), pr.MaxBytes, &blob.PutOptions{Key: key})
	if err != nil {
		return "", "", err
	}
	h.keys = append(h.keys, key)
	if !channel.Takes(pr.ContentTypes, pobj.ContentType) {
		return "", "the preview image made from it is of a type the channel does not take (" + ct + ")", nil
	}
	return s.o.Files.Server.SignedURL(key, s.o.Files.ChannelURLTTL), "", nil
}

// urlPart sends an attachment given by URL: as the media message its stated type's rule sends when
// what the host states of it fits, as a link otherwise (degraded, saying why); an address the channel
// cannot fetch is rejected. The host vouches for the stated type, size and length: msgkit does not
// fetch the file (attach it by source to have it sniffed, measured and previewed).
func urlPart(a Attachment, t target) part {
	u, err := url.Parse(a.URL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return part{msg: channel.LinkMessage(a.URL, a.Name), outcome: store.OutcomeRejected,
			detail: "the attachment's address is not an HTTPS URL the channel can fetch"}
	}
	ct := baseType(a.ContentType)
	link := func(why string) part {
		p := linkPart(a.URL, a.Name, t.limits)
		p.detail = "sent as a link: " + why
		return p
	}
	var m channel.Message
	if t.hasRules {
		size := a.Size
		if size <= 0 {
			size = -1
		}
		rule, err := t.rules.Fit(ct, size, a.Duration)
		if err != nil {
			var me *channel.MediaError
			if errors.As(err, &me) {
				return link(me.Reason)
			}
			return link("the channel cannot send it as media")
		}
		preview := a.PreviewURL
		if preview == "" && (rule.Preview == nil || rule.Type == channel.TypeImage && a.Size <= rule.Preview.MaxBytes &&
			channel.Takes(rule.Preview.ContentTypes, ct)) {
			preview = a.URL // an image of unknown or small size previews itself
		}
		switch {
		case rule.Type == channel.TypeAudio:
			m = channel.Audio(a.URL, a.Duration)
		case preview == "":
			return link("no preview image was given, and the channel needs one")
		case rule.Type == channel.TypeImage:
			m = channel.Image(a.URL, preview)
		case rule.Type == channel.TypeVideo:
			m = channel.Video(a.URL, preview)
		}
		if most := t.rules.MaxURLLength; most > 0 && (len(a.URL) > most || len(preview) > most) {
			return link(fmt.Sprintf("its address is longer than the %d characters the channel takes", most))
		}
	} else {
		kind, _, _ := strings.Cut(ct, "/")
		switch {
		case kind == "image":
			m = channel.Image(a.URL, cmp.Or(a.PreviewURL, a.URL))
		case kind == "video" && a.PreviewURL != "":
			m = channel.Video(a.URL, a.PreviewURL)
		case kind == "audio" && a.Duration > 0:
			m = channel.Audio(a.URL, a.Duration)
		}
	}
	if m.Type != "" && t.limits.Supports(m.Type) && m.Validate() == nil {
		return part{msg: m, outcome: store.OutcomeAsIs}
	}
	return link("the channel cannot send this file itself")
}

// linkPart sends a file as a link: degraded, since the customer gets a URL rather than the file.
func linkPart(rawURL, name string, l channel.Limits) part {
	link := channel.LinkMessage(rawURL, name)
	if !l.Supports(channel.TypeLink) {
		text := rawURL
		if name != "" {
			text = name + "\n" + rawURL
		}
		link = channel.Text(text)
	}
	return part{msg: link, outcome: store.OutcomeDegraded, detail: "sent as a link: the channel cannot send this file itself"}
}

// baseType returns a media type without its parameters, in lower case.
func baseType(contentType string) string {
	t, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		t, _, _ = strings.Cut(contentType, ";")
		t = strings.ToLower(strings.TrimSpace(t))
	}
	return t
}

// discard deletes the blobs a reply wrote when the reply is not stored. It runs after the caller's
// context may have ended, bounded by a few seconds; what it cannot delete is reported, not retried.
func (s *Service) discard(ctx context.Context, h *hosted) {
	if len(h.keys) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	for _, k := range h.keys {
		if err := s.o.Files.Store.Delete(ctx, k); err != nil && !errors.Is(err, blob.ErrNotFound) {
			s.o.OnError(fmt.Errorf("conversation: deleting an attachment of a reply that was not stored: %w", err))
		}
	}
	h.keys = nil
}
