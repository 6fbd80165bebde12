package store

import "context"

// channelKey is the context key of WithChannel.
type channelKey struct{}

// WithChannel returns a copy of ctx that carries ch, as the code serving a request read it moments ago
// (a webhook endpoint reads the channel to verify the request: connect.Service.Webhooks). Code further
// down the same request that needs that channel may take it from ctx instead of reading it again
// (conversation.Service.Receive does): one read, and on store/postgres one round trip, less per webhook.
// The channel is shared, not copied: whoever takes it must not modify it.
func WithChannel(ctx context.Context, ch Channel) context.Context {
	return context.WithValue(ctx, channelKey{}, ch)
}

// ChannelFrom returns the channel id that ctx carries (WithChannel), and whether it carries it.
func ChannelFrom(ctx context.Context, id string) (Channel, bool) {
	ch, ok := ctx.Value(channelKey{}).(Channel)
	if !ok || ch.ID != id || id == "" {
		return Channel{}, false
	}
	return ch, true
}
