package connect

import (
	"context"
	"fmt"

	qr "github.com/piglig/go-qr"

	"github.com/msgkit/msgkit/channel"
)

// EntryPoints are how customers start a conversation with a channel's account with one action (FEATURES
// F23): a link, a QR code of it to print, and a button to embed in a web site.
type EntryPoints struct {
	URL        string
	ButtonHTML string
	QRPNG      []byte // a PNG image of a QR code of URL
	QRSVG      []byte // the same QR code as SVG
}

// EntryPoints returns the channel's entry points, made by its kind's connector from the account's
// details (LINE: the add-friend link from the basic ID).
func (s *Service) EntryPoints(ctx context.Context, id string) (EntryPoints, error) {
	ch, err := s.store.GetChannel(ctx, id)
	if err != nil {
		return EntryPoints{}, err
	}
	c, err := s.reg.connector(ch.Kind)
	if err != nil {
		return EntryPoints{}, err
	}
	e, err := channel.EntryPointsOf(c, ch.Account)
	if err != nil {
		return EntryPoints{}, err
	}
	code, err := qr.EncodeText(e.URL, qr.Medium)
	if err != nil {
		return EntryPoints{}, fmt.Errorf("connect: a QR code of the entry link: %w", err)
	}
	cfg := qr.NewQrCodeImgConfig(8, 4, qr.WithOptimalSVG())
	out := EntryPoints{URL: e.URL, ButtonHTML: e.ButtonHTML}
	if out.QRPNG, err = code.ToPNGBytes(cfg); err != nil {
		return EntryPoints{}, fmt.Errorf("connect: drawing the QR code: %w", err)
	}
	if out.QRSVG, err = code.ToSVGBytes(cfg); err != nil {
		return EntryPoints{}, fmt.Errorf("connect: drawing the QR code: %w", err)
	}
	return out, nil
}
