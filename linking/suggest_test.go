package linking_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/mock/gomock"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/internal/mocks/linkingmock"
	"github.com/msgkit/msgkit/linking"
	"github.com/msgkit/msgkit/store"
)

func lead(id, name string) linking.Record {
	return linking.Record{Kind: store.RecordLead, ID: id, DisplayName: name}
}

// Rank orders by match, then token overlap, then closeness of length, then the CRM's order.
func TestRank(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		for_       string
		candidates []string // display names, in the CRM's order
		want       []string // display names, best first
		matches    []linking.Match
	}{
		{
			name: "exact beats reordered beats prefix beats tokens beats partial beats none",
			for_: "Hanako Yamada",
			candidates: []string{"Kenji Mori", "Ms Hanakoyamada", "Taro Yamada", "Hanako Yamada-Sato", "Yamada Hanako",
				"hanako  YAMADA"},
			want: []string{"hanako  YAMADA", "Yamada Hanako", "Hanako Yamada-Sato", "Taro Yamada", "Ms Hanakoyamada", "Kenji Mori"},
			matches: []linking.Match{linking.MatchExact, linking.MatchReordered, linking.MatchPrefix, linking.MatchTokens,
				linking.MatchPartial, linking.MatchNone},
		},
		{
			name:       "case, width, spaces and punctuation do not matter",
			for_:       "ＨＡＮＡＫＯ　Ｙａｍａｄａ",
			candidates: []string{"Hanako, Yamada", "hanako.yamada"},
			want:       []string{"Hanako, Yamada", "hanako.yamada"},
			matches:    []linking.Match{linking.MatchExact, linking.MatchExact},
		},
		{
			name:       "names without spaces: prefix and inside",
			for_:       "山田花子",
			candidates: []string{"佐藤花子", "花子", "山田", "山田 花子", "山田花子様"},
			want:       []string{"山田 花子", "山田花子様", "山田", "花子", "佐藤花子"},
			matches: []linking.Match{linking.MatchExact, linking.MatchPrefix, linking.MatchPrefix, linking.MatchPartial,
				linking.MatchNone},
		},
		{
			name:       "more tokens in common first, then the nearer length",
			for_:       "Hanako",
			candidates: []string{"Hanako Yamada Sato", "Hanako Yamadaaaaaa", "Hanako Ito"},
			want:       []string{"Hanako Ito", "Hanako Yamadaaaaaa", "Hanako Yamada Sato"},
			matches:    []linking.Match{linking.MatchPrefix, linking.MatchPrefix, linking.MatchPrefix},
		},
		{
			name:       "ties keep the CRM's order",
			for_:       "Sato",
			candidates: []string{"Ken Sato", "Aki Sato", "Sato"},
			want:       []string{"Sato", "Ken Sato", "Aki Sato"},
			matches:    []linking.Match{linking.MatchExact, linking.MatchTokens, linking.MatchTokens},
		},
		{
			name:       "a name with nothing to compare matches nothing",
			for_:       "🌸🌸",
			candidates: []string{"Hanako"},
			want:       []string{"Hanako"},
			matches:    []linking.Match{linking.MatchNone},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var recs []linking.Record
			for i, n := range tc.candidates {
				recs = append(recs, lead(string(rune('A'+i)), n))
			}
			got := linking.Rank(tc.for_, recs)
			var names []string
			var matches []linking.Match
			for _, s := range got {
				names = append(names, s.Record.DisplayName)
				matches = append(matches, s.Match)
			}
			require.Equal(t, tc.want, names)
			require.Equal(t, tc.matches, matches)
		})
	}
}

func TestRankOverlapAndRepeats(t *testing.T) {
	t.Parallel()
	got := linking.Rank("Hanako Yamada", []linking.Record{lead("L1", "Taro Yamada"), lead("L1", "Taro Yamada"), lead("L2", "Hanako Yamada")})
	require.Len(t, got, 2, "a record the CRM returned twice is suggested once")
	require.InDelta(t, 1.0, got[0].Overlap, 1e-9)
	require.InDelta(t, 1.0/3, got[1].Overlap, 1e-9, "one token in common of three")
	require.Equal(t, "tokens", got[1].Match.String())
}

func unlinked(name string) store.Contact {
	return store.Contact{ID: "k1", Peer: channel.User("U1"), Profile: channel.Profile{DisplayName: name, Language: "ja"}}
}

// The CRM is searched for the whole name, then for its longest tokens when that finds too few; nothing is
// linked.
func TestSuggestSearchesTheNameThenItsTokens(t *testing.T) {
	t.Parallel()
	records := linkingmock.NewMockRecords(gomock.NewController(t)) // no Create, no Get: nothing is linked
	gomock.InOrder(
		records.EXPECT().Search(gomock.Any(), linking.Query{Name: "Hanako Y.", Language: "ja", Limit: 6}).Return(nil, nil),
		records.EXPECT().Search(gomock.Any(), linking.Query{Name: "hanako", Language: "ja", Limit: 6}).
			Return([]linking.Record{lead("L2", "Hanako Sato"), lead("L1", "Hanako Yamada")}, nil),
	)
	got, err := linking.Suggest(t.Context(), records, unlinked("Hanako Y."), 2)
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.Equal(t, "L1", got[0].Record.ID, "Hanako Yamada starts with Hanako Y")
	require.Equal(t, linking.MatchPrefix, got[0].Match)
	require.Equal(t, linking.MatchTokens, got[1].Match)
}

func TestSuggestCutsToTheLimitAndSearchesOnceWhenEnough(t *testing.T) {
	t.Parallel()
	crm := &linking.MemoryRecords{}
	for _, r := range []linking.Record{lead("L1", "Taro Yamada Jr"), lead("L2", "Taro Yamada"), lead("L3", "Taro Yamadas")} {
		crm.Add(r)
	}
	got, err := linking.Suggest(t.Context(), crm, unlinked("taro yamada"), 2)
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.Equal(t, "L2", got[0].Record.ID)
	require.Equal(t, "L1", got[1].Record.ID, "two tokens of three in common, where Taro Yamadas has one")

	got, err = linking.Suggest(t.Context(), crm, unlinked("taro yamada"), 0)
	require.NoError(t, err)
	require.Len(t, got, 3, "0 means the default limit")
}

func TestSuggestRefusals(t *testing.T) {
	t.Parallel()
	records := linkingmock.NewMockRecords(gomock.NewController(t)) // the CRM is not asked
	linked := unlinked("Hanako")
	linked.Record = store.RecordRef{Kind: store.RecordLead, ID: "L1"}
	_, err := linking.Suggest(t.Context(), records, linked, 5)
	require.ErrorIs(t, err, linking.ErrAlreadyLinked)

	got, err := linking.Suggest(t.Context(), records, unlinked(""), 5)
	require.NoError(t, err)
	require.Empty(t, got, "no profile name yet: nothing to suggest")
	got, err = linking.Suggest(t.Context(), records, unlinked(" ・ "), 5)
	require.NoError(t, err)
	require.Empty(t, got)

	boom := errors.New("crm down")
	failing := linkingmock.NewMockRecords(gomock.NewController(t))
	failing.EXPECT().Search(gomock.Any(), gomock.Any()).Return(nil, boom)
	_, err = linking.Suggest(t.Context(), failing, unlinked("Hanako"), 5)
	require.ErrorIs(t, err, boom)
}

func TestMemoryRecordsKeepFields(t *testing.T) {
	t.Parallel()
	crm := &linking.MemoryRecords{}
	fields := map[string]string{"company": "Yamada Trading"}
	crm.Add(linking.Record{Kind: store.RecordContact, ID: "C1", DisplayName: "Hanako", Fields: fields})
	fields["company"] = "changed"
	r, err := crm.Get(t.Context(), store.RecordContact, "C1")
	require.NoError(t, err)
	require.Equal(t, "Yamada Trading", r.Fields["company"], "Add keeps its own copy")
}

// Any name ranks a record of the same name first, as an exact match when it has anything to compare.
func FuzzRank(f *testing.F) {
	for _, s := range []string{"Hanako Yamada", "山田 花子", "ＨＡＮＡＫＯ", "🌸", "", "a\u0301 b", "\xff"} {
		f.Add(s, "Hanako")
	}
	f.Fuzz(func(t *testing.T, name, other string) {
		got := linking.Rank(name, []linking.Record{lead("A", other), lead("B", name)})
		if len(got) != 2 {
			t.Fatalf("Rank returned %d suggestions for 2 records", len(got))
		}
		for _, s := range got {
			if s.Overlap < 0 || s.Overlap > 1 {
				t.Fatalf("overlap %v out of [0, 1]", s.Overlap)
			}
		}
		self := got[0]
		if self.Record.ID != "B" {
			self = got[1]
		}
		if self.Match != linking.MatchExact && self.Match != linking.MatchNone {
			t.Fatalf("%q against itself: %s", name, self.Match)
		}
		if got[0].Match < self.Match {
			t.Fatalf("%q: the record of the same name is not first", name)
		}
	})
}
