package gazetteer

import (
	"cmp"
	"maps"
	"math"
	"slices"
	"strings"
	"unicode"
)

// MatchKind says how a query matched a place.
type MatchKind string

// How a query matches, best first.
const (
	MatchExact  MatchKind = "exact"  // the place's name, in any script
	MatchAlias  MatchKind = "alias"  // one of its aliases
	MatchPrefix MatchKind = "prefix" // the start of a name or alias, or of one of its words
	MatchFuzzy  MatchKind = "fuzzy"  // a name that sounds alike: same consonants, give or take one or two
)

// Match is a place found by a query.
type Match struct {
	Place *Place
	// Score is from 0 to 1: 1 for the place's name, 0.9 for an alias,
	// 0.63 to 0.82 for a prefix, 0.25 to 0.62 for a fuzzy match. Within a
	// prefix or fuzzy match, a more populous place scores up to 0.02 more.
	Score   float64
	Kind    MatchKind
	Matched string // the name or alias that matched, as the data writes it
	// DistanceKm is how far the place is from the line of the search's
	// area, and InArea whether it lies within the area; both are zero
	// when the search has no area.
	DistanceKm float64
	InArea     bool
}

// SearchOptions narrow and order a search.
type SearchOptions struct {
	// Keep, if not nil, says which places may match.
	Keep func(*Place) bool
	// Area, if not nil, ranks the places outside it lower: each loses up
	// to 0.2 of its score as it lies up to 300 km outside the area, never
	// falling below the scores of its kind of match (an exact match far
	// away still comes before an alias nearby); each match says how far
	// its place is from the area's line.
	Area *Area
}

// Scores of the kinds of match.
const (
	scoreExact      = 1.0
	scoreAlias      = 0.9
	scorePrefix     = 0.7  // plus up to 0.1 as the query covers more of the name
	scoreWordPrefix = 0.65 // the same, for a word inside the name
	scoreFuzzy      = 0.6  // less 0.1 per consonant that differs, and 0.02 per letter
	aliasPenalty    = 0.02 // taken off a prefix or fuzzy match of an alias
	populationBonus = 0.02 // at most, added to a prefix or fuzzy match for a large population
)

// bonus is what a place's population adds to a prefix or fuzzy match: up
// to populationBonus for ten million people, on a logarithmic scale.
func bonus(p *Place) float64 {
	if p.Population <= 0 {
		return 0
	}
	return populationBonus * min(math.Log10(float64(p.Population)+1)/7, 1)
}

// key is one name of a place, normalised.
type key struct {
	norm  string
	runes []rune // norm, for keys with a skeleton
	orig  string
	place int32
	alias bool
	// word is set for the keys made of a name's later words, which only
	// prefix matches use: "boldak" for "Spin Boldak".
	word bool
}

// index holds the keys of all places for the three kinds of lookup.
type index struct {
	keys []key
	// exact maps a normalised name or alias to its keys.
	exact map[string][]int32
	// sorted are the keys in order of norm, for prefix search.
	sorted []int32
	// skeletons maps a phonetic skeleton to the keys that have it;
	// byLen lists the distinct skeletons by their length in runes.
	skeletons map[string][]int32
	byLen     [][][]rune
}

// maxWords is how many words of a name make word keys.
const maxWords = 6

func (ix *index) build(places []Place) {
	ix.exact = map[string][]int32{}
	ix.skeletons = map[string][]int32{}
	for i := range places {
		p := &places[i]
		seen := map[string]bool{}
		first := len(ix.keys)
		add := func(orig string, alias bool) {
			norm := Normalize(orig)
			if norm == "" || seen[norm] {
				return
			}
			seen[norm] = true
			k := int32(len(ix.keys))
			ix.keys = append(ix.keys, key{norm: norm, orig: orig, place: int32(i), alias: alias})
			ix.exact[norm] = append(ix.exact[norm], k)
			ix.sorted = append(ix.sorted, k)
			if s := skeleton(norm); runeLen(s) >= 2 {
				ix.skeletons[s] = append(ix.skeletons[s], k)
				ix.keys[k].runes = []rune(norm)
			}
		}
		add(p.Name, false)
		add(p.ASCIIName, false)
		for _, lang := range slices.Sorted(maps.Keys(p.Names)) {
			add(p.Names[lang], false)
		}
		for _, a := range p.Aliases {
			add(a, true)
		}
		// Word keys, from each name's later words.
		last := len(ix.keys)
		for _, kk := range ix.keys[first:last] {
			words := strings.FieldsFunc(kk.orig, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Mn, r) })
			for w := 1; w < len(words) && w < maxWords; w++ {
				norm := Normalize(strings.Join(words[w:], ""))
				if runeLen(norm) < 3 || seen[norm] {
					continue
				}
				seen[norm] = true
				ix.keys = append(ix.keys, key{norm: norm, orig: kk.orig, place: int32(i), alias: kk.alias, word: true})
				ix.sorted = append(ix.sorted, int32(len(ix.keys)-1))
			}
		}
	}
	slices.SortFunc(ix.sorted, func(a, b int32) int { return strings.Compare(ix.keys[a].norm, ix.keys[b].norm) })
	for s := range ix.skeletons {
		rs := []rune(s)
		for len(ix.byLen) <= len(rs) {
			ix.byLen = append(ix.byLen, nil)
		}
		ix.byLen[len(rs)] = append(ix.byLen[len(rs)], rs)
	}
	for _, l := range ix.byLen {
		slices.SortFunc(l, func(a, b []rune) int { return slices.Compare(a, b) })
	}
}

// Search returns at most limit places whose names match q, best first. An
// empty query, or one longer than MaxQuery runes, matches nothing.
func (g *Gazetteer) Search(q string, limit int) []Match {
	return g.SearchFunc(q, limit, nil)
}

// SearchFunc is Search among the places for which keep, if not nil, is
// true.
func (g *Gazetteer) SearchFunc(q string, limit int, keep func(*Place) bool) []Match {
	return g.Find(q, limit, SearchOptions{Keep: keep})
}

// Find is Search with options.
func (g *Gazetteer) Find(q string, limit int, o SearchOptions) []Match {
	keep := o.Keep
	if limit <= 0 || runeLen(q) > MaxQuery {
		return nil
	}
	nq := Normalize(q)
	if nq == "" {
		return nil
	}
	best := map[int32]Match{}
	consider := func(k *key, score float64, kind MatchKind) {
		p := &g.places[k.place]
		if keep != nil && !keep(p) {
			return
		}
		if kind == MatchPrefix || kind == MatchFuzzy {
			score += bonus(p)
		}
		score = math.Round(score*1000) / 1000
		if m, ok := best[k.place]; ok && m.Score >= score {
			return
		}
		best[k.place] = Match{Place: p, Score: score, Kind: kind, Matched: k.orig}
	}

	// Exact names and aliases.
	for _, ki := range g.exact[nq] {
		k := &g.keys[ki]
		if k.alias {
			consider(k, scoreAlias, MatchAlias)
		} else {
			consider(k, scoreExact, MatchExact)
		}
	}

	// Prefixes of names, aliases and their later words.
	lq := runeLen(nq)
	if lq >= 2 {
		i, _ := slices.BinarySearchFunc(g.sorted, nq, func(ki int32, q string) int { return strings.Compare(g.keys[ki].norm, q) })
		for ; i < len(g.sorted); i++ {
			k := &g.keys[g.sorted[i]]
			if !strings.HasPrefix(k.norm, nq) {
				break
			}
			if k.norm == nq && !k.word {
				continue // an exact match, above
			}
			score := scorePrefix
			if k.word {
				score = scoreWordPrefix
			}
			score += 0.1 * float64(lq) / float64(runeLen(k.norm))
			if k.alias {
				score -= aliasPenalty
			}
			consider(k, score, MatchPrefix)
		}
	}

	// Names that sound alike: their skeletons differ by at most maxDist.
	if lq >= 3 {
		sq := []rune(skeleton(nq))
		maxDist := 2
		switch {
		case len(sq) < 2:
			maxDist = -1
		case len(sq) <= 3:
			maxDist = 0
		case len(sq) <= 6:
			maxDist = 1
		}
		rq := []rune(nq)
		var buf []int
		for l := max(len(sq)-maxDist, 2); maxDist >= 0 && l <= len(sq)+maxDist && l < len(g.byLen); l++ {
			for _, s := range g.byLen[l] {
				d := 0
				if maxDist > 0 {
					d, buf = levenshtein(sq, s, maxDist, buf)
				} else if !slices.Equal(sq, s) {
					continue
				}
				if d > maxDist {
					continue
				}
				for _, ki := range g.skeletons[string(s)] {
					k := &g.keys[ki]
					var nd int
					nd, buf = levenshtein(rq, k.runes, 5, buf)
					score := scoreFuzzy - 0.1*float64(d) - 0.02*float64(nd)
					if k.alias {
						score -= aliasPenalty
					}
					consider(k, score, MatchFuzzy)
				}
			}
		}
	}

	out := make([]Match, 0, len(best))
	for _, m := range best {
		if o.Area != nil {
			m.DistanceKm = o.Area.DistanceKm(m.Place.Lat, m.Place.Lon)
			m.InArea = m.DistanceKm <= o.Area.WithinKm
			if p := outsidePenalty(m.DistanceKm - o.Area.WithinKm); p > 0 {
				m.Score = math.Round(max(m.Score-p, min(m.Score, kindFloor[m.Kind]))*1000) / 1000
			}
		}
		out = append(out, m)
	}
	slices.SortFunc(out, compareMatches)
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

// compareMatches orders matches best first: by score, then those in the
// area, then crossings, then by population, then by id.
func compareMatches(a, b Match) int {
	if c := cmp.Compare(b.Score, a.Score); c != 0 {
		return c
	}
	if a.InArea != b.InArea {
		if a.InArea {
			return -1
		}
		return 1
	}
	if a.Place.Crossing != b.Place.Crossing {
		if a.Place.Crossing {
			return -1
		}
		return 1
	}
	if c := cmp.Compare(b.Place.Population, a.Place.Population); c != 0 {
		return c
	}
	return strings.Compare(a.Place.ID, b.Place.ID)
}

// levenshtein returns the edit distance of a and b, or max+1 when it is
// more than max, and the row buffer for reuse.
func levenshtein(a, b []rune, max int, buf []int) (int, []int) {
	if d := len(a) - len(b); d > max || -d > max {
		return max + 1, buf
	}
	n := len(b) + 1
	if cap(buf) < 2*n {
		buf = make([]int, 2*n)
	}
	prev, cur := buf[:n], buf[n:2*n]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > max {
			return max + 1, buf
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], max+1), buf
}
