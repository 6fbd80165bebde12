package line

import "github.com/msgkit/msgkit/channel"

// LINE's rules for media sent by URL, from the Messaging API reference's message objects:
//
//   - image (https://developers.line.biz/en/reference/messaging-api/#image-message): originalContentUrl
//     JPEG or PNG, at most 10 MB; previewImageUrl JPEG or PNG, at most 1 MB;
//   - video (#video-message): originalContentUrl MP4, at most 200 MB; previewImageUrl as for images;
//   - audio (#audio-message): originalContentUrl M4A or MP3, at most 200 MB, with its duration in
//     milliseconds (required);
//   - every URL: HTTPS over TLS 1.2 or later, at most 2,000 characters.
//
// The sizes are those LINE raised them to on 2020-05-12 (news "Messaging API update May 2020",
// https://developers.line.biz/ja/news/2020/05/12/messaging-api-update-may-2020/: images 1 MB → 10 MB,
// videos and audio 10 MB → 200 MB with no length limit, and no pixel limit on images and previews
// since). LINE writes "MB" without saying whether it means 10⁶ or 2²⁰ bytes: the smaller is used, so a
// file msgkit sends as media is never one LINE refuses. The spec LINE's SDK is generated from
// (line-openapi) states none of these limits; they are the reference's prose. The Messaging API has
// no file message: anything else goes as a link.
const (
	MaxImageBytes     = 10_000_000  // an image message's image
	MaxPreviewBytes   = 1_000_000   // an image or video message's preview image
	MaxVideoBytes     = 200_000_000 // a video message's video
	MaxAudioBytes     = 200_000_000 // an audio message's clip
	MaxMediaURLLength = 2000        // characters, of any content or preview URL
	// PreviewSide is the longest side msgkit gives a preview it generates: LINE's former preview limit
	// (240×240 pixels, lifted in 2020), still about what a chat shows before the image is opened.
	PreviewSide = 240
)

// MediaRules reports LINE's media rules: JPEG and PNG images up to 10 MB with a JPEG or PNG preview up
// to 1 MB; MP4 videos up to 200 MB with such a preview; M4A and MP3 audio up to 200 MB with their
// length; URLs up to 2,000 characters. See MaxImageBytes for the sources.
func (a *Adapter) MediaRules() channel.MediaRules { return MediaRules() }

// MediaRules returns LINE's media rules (what Adapter.MediaRules reports), for code that has no
// Adapter, such as a host validating an upload before it is attached.
func MediaRules() channel.MediaRules {
	preview := &channel.PreviewRule{ContentTypes: []string{"image/jpeg", "image/png"}, MaxBytes: MaxPreviewBytes, MaxSide: PreviewSide}
	return channel.MediaRules{
		Media: []channel.MediaRule{
			{Type: channel.TypeImage, ContentTypes: []string{"image/jpeg", "image/png"}, MaxBytes: MaxImageBytes, Preview: preview},
			{Type: channel.TypeVideo, ContentTypes: []string{"video/mp4"}, MaxBytes: MaxVideoBytes, Preview: preview},
			// M4A as sniffed (audio/mp4) and as commonly labelled (audio/x-m4a); MP3 (audio/mpeg).
			{Type: channel.TypeAudio, ContentTypes: []string{"audio/mp4", "audio/x-m4a", "audio/mpeg"}, MaxBytes: MaxAudioBytes,
				NeedsDuration: true},
		},
		MaxURLLength: MaxMediaURLLength,
	}
}

var _ channel.MediaRuler = (*Adapter)(nil)
