package whatsapp

import "github.com/msgkit/msgkit/channel"

// WhatsApp's rules for media sent by link, from Meta's "Supported media types" table of the Cloud API
// media reference (developers.facebook.com/docs/whatsapp/cloud-api/reference/media#supported-media-types):
//
//   - image: JPEG or PNG (8-bit, RGB or RGBA), at most 5 MB;
//   - video: MP4 or 3GPP (H.264 video, AAC audio, one audio stream or none), at most 16 MB;
//   - audio: AAC, AMR, MP3, M4A (audio/mp4) or Ogg with the Opus codec only, at most 16 MB;
//   - document: PDF, text and Office formats, at most 100 MB;
//   - sticker: WebP, at most 100 KB static and 500 KB animated, sent in sticker messages only.
//
// Meta writes "MB" without saying which: the smaller reading (10⁶ bytes) is used. Documents and
// stickers are not media rules: the channel contract sends files as links (Document builds a native
// document message for Reply.Messages), and stickers as sticker messages. Ogg is left out because the
// bytes' type (application/ogg) does not tell Opus from Vorbis, which WhatsApp refuses, and AMR because
// no sniffer msgkit uses recognises it: both go as links.
const (
	MaxImageBytes    = 5_000_000
	MaxVideoBytes    = 16_000_000
	MaxAudioBytes    = 16_000_000
	MaxDocumentBytes = 100_000_000
)

// MediaRules reports WhatsApp's media rules: JPEG and PNG images up to 5 MB, MP4 and 3GPP videos up to
// 16 MB, AAC, MP3 and M4A audio up to 16 MB; no preview images and no clip lengths are needed.
func (a *Adapter) MediaRules() channel.MediaRules {
	return channel.MediaRules{Media: []channel.MediaRule{
		{Type: channel.TypeImage, ContentTypes: []string{"image/jpeg", "image/png"}, MaxBytes: MaxImageBytes},
		{Type: channel.TypeVideo, ContentTypes: []string{"video/mp4", "video/3gpp"}, MaxBytes: MaxVideoBytes},
		{Type: channel.TypeAudio, ContentTypes: []string{"audio/aac", "audio/mpeg", "audio/mp4", "audio/x-m4a"}, MaxBytes: MaxAudioBytes},
	}}
}

var _ channel.MediaRuler = (*Adapter)(nil)
