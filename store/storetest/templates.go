package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/store"
)

// RunTemplates checks store.Templates.
func RunTemplates(t *testing.T, h Harness) {
	tpl := func(kind, name string) store.Template {
		return store.Template{Name: name, ChannelKind: kind, Body: `Hi {{contact.first_name | default: "there"}}`}
	}

	rule(t, h, "CreateThenGetRoundTrips", func(t *testing.T, fx fixture) {
		in := tpl("line", "Welcome")
		c, err := fx.s.CreateTemplate(t.Context(), in)
		require.NoError(t, err)
		require.NotEmpty(t, c.ID)
		require.Equal(t, int64(1), c.Version)
		got, err := fx.s.GetTemplate(t.Context(), c.ID)
		require.NoError(t, err)
		in.ID, in.CreatedAt, in.UpdatedAt, in.Version = c.ID, T0, T0, 1
		require.Equal(t, in, got)
	})

	rule(t, h, "GetMissingIsErrNotFound", func(t *testing.T, fx fixture) {
		_, err := fx.s.GetTemplate(t.Context(), "no-such-template")
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	rule(t, h, "NameIsUniquePerChannelKind", func(t *testing.T, fx fixture) {
		_, err := fx.s.CreateTemplate(t.Context(), tpl("line", "Welcome"))
		require.NoError(t, err)
		_, err = fx.s.CreateTemplate(t.Context(), tpl("line", "Welcome"))
		require.ErrorIs(t, err, store.ErrAlreadyExists)
		_, err = fx.s.CreateTemplate(t.Context(), tpl("", "Welcome"))
		require.NoError(t, err, "the same name for another channel kind is another template")
		withID := tpl("line", "Other")
		withID.ID = "fixed"
		_, err = fx.s.CreateTemplate(t.Context(), withID)
		require.NoError(t, err)
		withID.Name = "Third"
		_, err = fx.s.CreateTemplate(t.Context(), withID)
		require.ErrorIs(t, err, store.ErrAlreadyExists, "a taken ID")
	})

	rule(t, h, "UpdateIsVersioned", func(t *testing.T, fx fixture) {
		c, err := fx.s.CreateTemplate(t.Context(), tpl("line", "Shipped"))
		require.NoError(t, err)
		fx.clock.Advance(time.Minute)
		c.Body = "Your order {{order.number}} has shipped."
		upd, err := fx.s.UpdateTemplate(t.Context(), c)
		require.NoError(t, err)
		require.Equal(t, int64(2), upd.Version)
		require.Equal(t, T0.Add(time.Minute), upd.UpdatedAt)
		got, err := fx.s.GetTemplate(t.Context(), c.ID)
		require.NoError(t, err)
		require.Equal(t, upd, got)
		c.Body = "lost"
		_, err = fx.s.UpdateTemplate(t.Context(), c)
		require.ErrorIs(t, err, store.ErrConflict, "an update from a stale version")
		_, err = fx.s.UpdateTemplate(t.Context(), store.Template{ID: "no-such-template", Version: 1})
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	rule(t, h, "RenameOntoATakenNameIsErrAlreadyExists", func(t *testing.T, fx fixture) {
		_, err := fx.s.CreateTemplate(t.Context(), tpl("line", "A"))
		require.NoError(t, err)
		b, err := fx.s.CreateTemplate(t.Context(), tpl("line", "B"))
		require.NoError(t, err)
		b.Name = "A"
		_, err = fx.s.UpdateTemplate(t.Context(), b)
		require.ErrorIs(t, err, store.ErrAlreadyExists)
	})

	rule(t, h, "ListByChannelKindIncludesTemplatesForEveryChannel", func(t *testing.T, fx fixture) {
		for _, in := range []store.Template{tpl("line", "Shipped"), tpl("", "Thanks"), tpl("other", "Hello"), tpl("line", "Apology")} {
			_, err := fx.s.CreateTemplate(t.Context(), in)
			require.NoError(t, err)
		}
		names := func(kind string) []string {
			list, err := fx.s.ListTemplates(t.Context(), kind)
			require.NoError(t, err)
			var out []string
			for _, x := range list {
				out = append(out, x.Name)
			}
			return out
		}
		require.Equal(t, []string{"Apology", "Shipped", "Thanks"}, names("line"), "LINE templates and those for any channel, by name")
		require.Equal(t, []string{"Hello", "Thanks"}, names("other"))
		require.Equal(t, []string{"Apology", "Hello", "Shipped", "Thanks"}, names(""), "every template")
	})

	rule(t, h, "DeleteIsVersioned", func(t *testing.T, fx fixture) {
		c, err := fx.s.CreateTemplate(t.Context(), tpl("line", "Old"))
		require.NoError(t, err)
		require.ErrorIs(t, fx.s.DeleteTemplate(t.Context(), c.ID, 7), store.ErrConflict, "deleting a version that is not current")
		require.NoError(t, fx.s.DeleteTemplate(t.Context(), c.ID, c.Version))
		_, err = fx.s.GetTemplate(t.Context(), c.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		require.ErrorIs(t, fx.s.DeleteTemplate(t.Context(), c.ID, c.Version), store.ErrNotFound)
		_, err = fx.s.CreateTemplate(t.Context(), tpl("line", "Old"))
		require.NoError(t, err, "a deleted template's name is free again")
	})
}
