package linking

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/msgkit/msgkit/store"
)

// Match says how a candidate record's name matches the name it was suggested for. Higher is better.
type Match int

// Matches, worst first. Names are compared after folding case, full-width letters and digits (Ｈａｎａｋｏ
// is hanako), and treating spaces and punctuation as mere separators between tokens.
const (
	// MatchNone: the names share nothing visible; the CRM found the record by its own rules (a reading,
	// a phonetic match, an e-mail). Kept, last.
	MatchNone Match = iota
	// MatchPartial: one name holds the other inside it ("花子" in "山田花子", "nako" in "Hanako").
	MatchPartial
	// MatchTokens: the names share whole tokens, not at the start ("Yamada" and "Hanako Yamada").
	MatchTokens
	// MatchPrefix: one name starts the other ("Hanako" and "Hanako Yamada", "山田" and "山田花子").
	MatchPrefix
	// MatchReordered: the same tokens in another order ("Yamada Hanako" and "Hanako Yamada"): the
	// family name first, as Japanese names are written, or last, as a CRM may store them.
	MatchReordered
	// MatchExact: the same name ("hanako  yamada" and "Hanako Yamada", "山田 花子" and "山田花子").
	MatchExact
)

// String returns "none", "partial", "tokens", "prefix", "reordered" or "exact".
func (m Match) String() string {
	switch m {
	case MatchPartial:
		return "partial"
	case MatchTokens:
		return "tokens"
	case MatchPrefix:
		return "prefix"
	case MatchReordered:
		return "reordered"
	case MatchExact:
		return "exact"
	}
	return "none"
}

// Suggestion is a candidate record for an unlinked contact, with why it ranks where it does.
type Suggestion struct {
	Record Record
	// Match is how the record's name matches.
	Match Match
	// Overlap is the share of tokens the two names have in common: common tokens / distinct tokens of
	// both (1 for the same tokens, 0 for none).
	Overlap float64
}

// DefaultSuggestions is how many suggestions Suggest returns for a limit of 0.
const DefaultSuggestions = 10

// Suggest returns candidate records to link an unlinked contact to (FEATURES F9: the [+] dialog), from
// its profile's display name through the CRM's Records search, ranked by Rank, at most limit of them (0
// means DefaultSuggestions). It never links anything: the agent picks, then Linker.Link.
//
// The CRM is searched for the whole display name; when that brings fewer than limit records and the
// name has several tokens, it is searched again for each of its (up to three longest) tokens, so that
// "Hanako Y." still finds "Hanako Yamada". A contact without a display name (its profile is not fetched
// yet) has no suggestions; a linked contact returns ErrAlreadyLinked. Errors of Records.Search are
// returned as they are.
func Suggest(ctx context.Context, records Records, contact store.Contact, limit int) ([]Suggestion, error) {
	if !contact.Record.IsZero() {
		return nil, ErrAlreadyLinked
	}
	if limit <= 0 {
		limit = DefaultSuggestions
	}
	name := strings.TrimSpace(contact.Profile.DisplayName)
	n := parseName(name)
	if n.compact == "" {
		return nil, nil
	}
	q := Query{Name: name, Language: contact.Profile.Language, Limit: 3 * limit}
	found, err := records.Search(ctx, q)
	if err != nil {
		return nil, err
	}
	if len(found) < limit && len(n.tokens) > 1 {
		tokens := slices.Clone(n.tokens)
		slices.SortStableFunc(tokens, func(a, b string) int { return cmp.Compare(utf8.RuneCountInString(b), utf8.RuneCountInString(a)) })
		searched := map[string]bool{}
		for _, tok := range tokens {
			if len(searched) == 3 || utf8.RuneCountInString(tok) < 2 {
				break
			}
			if searched[tok] {
				continue
			}
			searched[tok] = true
			q.Name = tok
			more, err := records.Search(ctx, q)
			if err != nil {
				return nil, err
			}
			found = append(found, more...)
		}
	}
	out := Rank(name, found)
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// Rank orders candidate records for a name, best first, dropping repeats (same kind and ID):
//
//  1. by Match: exact, reordered, prefix, shared tokens, partial, none;
//  2. then by Overlap, the share of tokens in common ("Hanako" is nearer "Hanako Yamada" than
//     "Hanako Yamada Sato");
//  3. then by how close the lengths of the names are;
//  4. then in the order the CRM gave them, which stays the tiebreak: the CRM may know better (a
//     record's recency, its owner).
func Rank(name string, candidates []Record) []Suggestion {
	n := parseName(name)
	type ranked struct {
		Suggestion
		lengthGap int
	}
	rs := make([]ranked, 0, len(candidates))
	seen := make(map[store.RecordRef]bool, len(candidates))
	for _, r := range candidates {
		key := store.RecordRef{Kind: r.Kind, ID: r.ID}
		if seen[key] {
			continue
		}
		seen[key] = true
		c := parseName(r.DisplayName)
		m, overlap := n.match(c)
		gap := utf8.RuneCountInString(n.compact) - utf8.RuneCountInString(c.compact)
		rs = append(rs, ranked{Suggestion{Record: r, Match: m, Overlap: overlap}, max(gap, -gap)})
	}
	slices.SortStableFunc(rs, func(a, b ranked) int {
		return cmp.Or(cmp.Compare(b.Match, a.Match), cmp.Compare(b.Overlap, a.Overlap), cmp.Compare(a.lengthGap, b.lengthGap))
	})
	out := make([]Suggestion, len(rs))
	for i, r := range rs {
		out[i] = r.Suggestion
	}
	return out
}

// name is a name folded for comparison: its tokens, and all of them run together.
type name struct {
	tokens  []string
	compact string
}

// parseName folds s (case, full-width forms) and splits it into tokens at anything that is not a
// letter, digit or combining mark.
func parseName(s string) name {
	var n name
	var tok strings.Builder
	flush := func() {
		if tok.Len() > 0 {
			n.tokens = append(n.tokens, tok.String())
			tok.Reset()
		}
	}
	for _, r := range s {
		if r >= 0xFF01 && r <= 0xFF5E { // full-width ASCII forms (Ｈａｎａｋｏ, ０１２)
			r -= 0xFF01 - 0x21
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) {
			tok.WriteRune(unicode.ToLower(r))
		} else {
			flush()
		}
	}
	flush()
	n.compact = strings.Join(n.tokens, "")
	return n
}

// match says how candidate c matches n, and the share of tokens they have in common.
func (n name) match(c name) (Match, float64) {
	overlap := jaccard(n.tokens, c.tokens)
	switch {
	case n.compact == "" || c.compact == "":
		return MatchNone, overlap
	case n.compact == c.compact:
		return MatchExact, overlap
	case overlap == 1:
		return MatchReordered, overlap
	case strings.HasPrefix(c.compact, n.compact) || strings.HasPrefix(n.compact, c.compact):
		return MatchPrefix, overlap
	case overlap > 0:
		return MatchTokens, overlap
	case strings.Contains(c.compact, n.compact) || strings.Contains(n.compact, c.compact):
		return MatchPartial, overlap
	}
	return MatchNone, overlap
}

// jaccard returns |a ∩ b| / |a ∪ b| over the distinct tokens of a and b.
func jaccard(a, b []string) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	set := make(map[string]int, len(a)+len(b))
	for _, t := range a {
		set[t] |= 1
	}
	for _, t := range b {
		set[t] |= 2
	}
	both := 0
	for _, v := range set {
		if v == 3 {
			both++
		}
	}
	return float64(both) / float64(len(set))
}
