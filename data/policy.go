package data

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ContentPolicy refuses text with lewd, obscene or derogatory words: CPD
// S02-03-03 does not accept community concerns with such content, and geo311
// applies the same rule to every description it takes in.
//
// Matching is by whole word, case-insensitively, so "Scunthorpe", "assess"
// and "class" pass. A word also matches through the obfuscations people use
// to slip past filters:
//   - stretched letters: "fuuuck", "shiiit" (a letter repeated at least twice
//     more; a plain double letter is not a stretch, so "Shiites" passes, and
//     a letter may not vanish: the entry "ass" does not match "as");
//   - digits and symbols for letters: 0→o, 1/!/|→i, 3→e, 4/@→a, 5/$→s,
//     7/+→t, 8→b, and accented letters for plain ones ("fück");
//   - letters spaced or dotted apart: "s h i t", "f.u.c.k";
//   - invisible characters inside a word (zero-width space, soft hyphen).
//
// Because "l" and "1" are both written for "i", the letters l and i are
// compared as one letter. All-digit tokens (house numbers) are never folded.
//
// An entry ending in "*" also matches the word with a common English ending
// ("-s", "-es", "-ed", "-er", "-ers", "-ing", "-in", "-ings", "-y"): "fuck*"
// matches "fucking". Entries without "*" match the word only, so that "spic"
// does not refuse "spicy". An entry of several words matches them in
// sequence. Entries are matched with the same folding as the text.
//
// A ContentPolicy is immutable and safe for concurrent use. A nil or empty
// policy accepts everything.
type ContentPolicy struct {
	// byKey indexes entries by the collapsed form of their first word.
	byKey map[string][]policyEntry
	n     int
}

type policyEntry struct {
	words    []foldedWord
	suffixes bool // the last word may carry a common ending
}

var policySuffixes = []string{"ings", "ing", "ers", "es", "ed", "er", "in", "s", "y"}

// NewContentPolicy builds a policy from a word list. Entries are trimmed;
// empty entries and entries starting with "#" are ignored.
func NewContentPolicy(words []string) *ContentPolicy {
	p := &ContentPolicy{byKey: map[string][]policyEntry{}}
	for _, w := range words {
		w = strings.TrimSpace(w)
		if w == "" || strings.HasPrefix(w, "#") {
			continue
		}
		var e policyEntry
		w, e.suffixes = strings.CutSuffix(w, "*")
		for _, tok := range policyTokens(w) {
			if fw := foldWord(tok); fw.key != "" {
				e.words = append(e.words, fw)
			}
		}
		if len(e.words) == 0 {
			continue
		}
		k := e.words[0].key
		p.byKey[k] = append(p.byKey[k], e)
		p.n++
	}
	return p
}

// ReadContentWords reads a word list: one entry per line, "#" starts a
// comment line, blank lines are skipped. It is the format of a city's
// configured list (see NewContentPolicy for the entry syntax).
func ReadContentWords(r io.Reader) ([]string, error) {
	var words []string
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		if !utf8.ValidString(s) {
			return nil, Invalid("words", "line %d is not valid UTF-8", line)
		}
		words = append(words, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("data: read content words: %w", err)
	}
	return words, nil
}

// DefaultContentWords returns a copy of the built-in list: common obscene
// words and slurs of American English, chosen so that words with an
// innocent meaning in a 311 complaint stay out (a stray cat or a rooster, a
// raccoon in the attic, a chink in a wall, a cracker, a dike, "cum laude",
// a porn shop reported as a nuisance).
func DefaultContentWords() []string {
	return []string{
		// Obscene.
		"fuck*", "motherfuck*", "fucker*", "fuckhead*", "fuckface*",
		"shit*", "bullshit*", "dipshit*", "shithead*", "horseshit",
		"cunt*", "asshole*", "dickhead*", "dick sucker", "cocksuck*",
		"bitch*", "bastard*", "whore*", "slut*", "twat*", "wanker*", "jackass*",
		"blowjob*", "handjob*", "tits", "titties", "dildo*", "jizz*", "cumshot*",
		// Derogatory: racial, ethnic, homophobic, transphobic, ableist slurs.
		"nigger*", "nigga*", "niggaz", "kike*", "spic", "spics", "wetback*",
		"beaner*", "gook*", "raghead*", "towelhead*", "sandnigger*",
		"faggot*", "fag", "fags", "tranny", "trannies", "retard", "retards", "retarded",
	}
}

// DefaultContentPolicy is NewContentPolicy(DefaultContentWords()).
func DefaultContentPolicy() *ContentPolicy {
	return NewContentPolicy(DefaultContentWords())
}

// Len returns the number of entries.
func (p *ContentPolicy) Len() int {
	if p == nil {
		return 0
	}
	return p.n
}

// Check returns ErrInvalid naming field if text contains an entry of the
// policy. The message masks the word found, so it is safe to show and log.
func (p *ContentPolicy) Check(field, text string) error {
	found, ok := p.Find(text)
	if !ok {
		return nil
	}
	return Invalid(field, "contains language that is not accepted (%s): lewd, obscene or derogatory content is not accepted; please rephrase", mask(found))
}

// Find returns the first word (or words) of text that the policy refuses, as
// written in text.
func (p *ContentPolicy) Find(text string) (string, bool) {
	if p == nil || p.n == 0 {
		return "", false
	}
	toks := policyTokens(text)
	folded := foldWords(toks)
	for i := range toks {
		if n, ok := p.matchAt(folded, i); ok {
			return strings.Join(toks[i:i+n], " "), true
		}
		// Trailing or leading symbols may be punctuation ("shit!") rather
		// than letters in disguise ("sh!t").
		if t := strings.TrimFunc(toks[i], isLeetSymbol); t != toks[i] && t != "" {
			if p.matchOne(foldWord(t)) {
				return toks[i], true
			}
		}
	}
	// Letters spaced apart: join runs of three or more one-letter tokens.
	for i := 0; i < len(toks); {
		j := i
		for j < len(toks) && len(folded[j].s) > 0 && utf8.RuneCountInString(folded[j].s) == 1 {
			j++
		}
		if j-i >= 3 {
			if p.matchOne(foldWord(strings.Join(toks[i:j], ""))) {
				return strings.Join(toks[i:j], " "), true
			}
		}
		i = max(j, i+1)
	}
	return "", false
}

// matchAt reports whether an entry starts at token i, and how many tokens it
// spans. Candidate entries are found by the collapsed letters of the token
// and of the token without each ending, all prefixes of the token's key, so
// the lookups allocate nothing.
func (p *ContentPolicy) matchAt(toks []foldedWord, i int) (int, bool) {
	t := toks[i]
	if t.key == "" {
		return 0, false
	}
	if n, ok := p.matchEntries(p.byKey[t.key], toks, i); ok {
		return n, true
	}
	for _, suf := range policySuffixes {
		if st, ok := t.stem(suf); ok {
			if n, ok := p.matchEntries(p.byKey[t.key[:st.keyEnd]], toks, i); ok {
				return n, true
			}
		}
	}
	return 0, false
}

func (p *ContentPolicy) matchEntries(es []policyEntry, toks []foldedWord, i int) (int, bool) {
	for _, e := range es {
		if i+len(e.words) > len(toks) {
			continue
		}
		ok := true
		for k, w := range e.words {
			last := k == len(e.words)-1
			if !wordMatches(toks[i+k], w, last && e.suffixes) {
				ok = false
				break
			}
		}
		if ok {
			return len(e.words), true
		}
	}
	return 0, false
}

func (p *ContentPolicy) matchOne(t foldedWord) bool {
	n, ok := p.matchAt([]foldedWord{t}, 0)
	return ok && n == 1
}

// wordMatches reports whether token t is word w with letters possibly
// stretched, and, if suffixes, possibly followed by a common ending. The
// ending is cut from the token's letters as written, before runs are
// collapsed, so an ending that repeats the stem's last letter ("asses")
// splits right, and the stem's last letter may be doubled before it
// ("shitty").
func wordMatches(t, w foldedWord, suffixes bool) bool {
	if coversRuns(t.key, t.counts, 0, w, false) {
		return true
	}
	if !suffixes {
		return false
	}
	for _, suf := range policySuffixes {
		if st, ok := t.stem(suf); ok && coversRuns(t.key[:st.keyEnd], t.counts[:st.runs], st.lastCut, w, true) {
			return true
		}
	}
	return false
}

// coversRuns reports whether a token's runs (key, counts, with lastCut
// letters taken off the last run) are w's runs, each as often or stretched:
// repeated at least twice more ("fuuuck"), so that ordinary double letters
// do not turn one word into another (the entry "shit*" must not match
// "Shiites"). With doubledLast, the last run may also have one more letter:
// the doubled consonant before an ending.
func coversRuns(key string, counts []int, lastCut int, w foldedWord, doubledLast bool) bool {
	if key != w.key || len(counts) != len(w.counts) {
		return false
	}
	last := len(counts) - 1
	for i, tc := range counts {
		if i == last {
			tc -= lastCut
		}
		wc := w.counts[i]
		if tc != wc && tc < wc+2 && !(doubledLast && i == last && tc == wc+1) {
			return false
		}
	}
	return true
}

// foldedWord is a token after case, accent and leet folding: s as written
// ("shiiit"), key with runs of a letter collapsed ("shit"), counts the length
// of each run and runEnd the byte offset in key where each run ends.
type foldedWord struct {
	s      string
	key    string
	counts []int
	runEnd []int
}

// tokenStem is a token with an ending cut off: the first runs runs, the last
// of them lastCut letters shorter, whose key is key[:keyEnd].
type tokenStem struct {
	runs, lastCut, keyEnd int
}

// stem cuts the ending suf (folded, lower-case ASCII) from t; false if t
// does not end with it or nothing would remain.
func (t foldedWord) stem(suf string) (tokenStem, bool) {
	if len(t.s) <= len(suf) || !strings.HasSuffix(t.s, suf) {
		return tokenStem{}, false
	}
	rem := len(suf) // ASCII: bytes are letters
	i := len(t.counts) - 1
	for i >= 0 && rem >= t.counts[i] {
		rem -= t.counts[i]
		i--
	}
	if i < 0 {
		return tokenStem{}, false
	}
	return tokenStem{runs: i + 1, lastCut: rem, keyEnd: t.runEnd[i]}, true
}

// policyTokens splits text into words: runs of letters, digits, the symbols
// that stand for letters, combining marks, invisible format characters (so
// a zero-width space cannot split a word; folding drops them) and
// apostrophes inside a word. Tokens are substrings of text.
func policyTokens(text string) []string {
	var toks []string
	start := -1
	for i, r := range text {
		inWord := r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r) || isLeetSymbol(r) ||
			r == '\'' || r == '’' || unicode.IsMark(r) || unicode.Is(unicode.Cf, r))
		switch {
		case inWord && start < 0:
			start = i
		case !inWord && start >= 0:
			toks = appendToken(toks, text[start:i])
			start = -1
		}
	}
	if start >= 0 {
		toks = appendToken(toks, text[start:])
	}
	return toks
}

func appendToken(toks []string, t string) []string {
	if t = strings.Trim(t, "'’"); t != "" {
		toks = append(toks, t)
	}
	return toks
}

func isLeetSymbol(r rune) bool {
	switch r {
	case '@', '$', '!', '|', '+':
		return true
	}
	return false
}

// foldWord lower-cases a token, folds accents and stand-in digits and
// symbols to letters, drops apostrophes, marks and format characters, and
// run-length encodes the result.
func foldWord(tok string) foldedWord {
	return foldWords([]string{tok})[0]
}

// foldWords folds tokens into shared buffers: a handful of allocations for
// a whole text rather than several per word.
func foldWords(toks []string) []foldedWord {
	type span struct{ s0, s1, k0, k1, c0, c1 int }
	spans := make([]span, len(toks))
	n := 0
	for _, t := range toks {
		n += len(t)
	}
	sb, kb := make([]byte, 0, n), make([]byte, 0, n)
	counts, runEnd := make([]int, 0, n), make([]int, 0, n)
	for i, tok := range toks {
		sp := span{s0: len(sb), k0: len(kb), c0: len(counts)}
		allDigits := strings.IndexFunc(tok, func(r rune) bool { return !unicode.IsDigit(r) }) < 0
		var prev rune = -1
		for _, r := range tok {
			if r == '\'' || r == '’' || unicode.IsMark(r) || unicode.Is(unicode.Cf, r) {
				continue
			}
			r = unicode.ToLower(r)
			if !allDigits {
				r = foldRune(r)
			}
			sb = utf8.AppendRune(sb, r)
			if r == prev {
				counts[len(counts)-1]++
				continue
			}
			kb = utf8.AppendRune(kb, r)
			counts = append(counts, 1)
			runEnd = append(runEnd, len(kb)-sp.k0)
			prev = r
		}
		sp.s1, sp.k1, sp.c1 = len(sb), len(kb), len(counts)
		spans[i] = sp
	}
	S, K := string(sb), string(kb)
	out := make([]foldedWord, len(toks))
	for i, sp := range spans {
		out[i] = foldedWord{
			s:      S[sp.s0:sp.s1],
			key:    K[sp.k0:sp.k1],
			counts: counts[sp.c0:sp.c1:sp.c1],
			runEnd: runEnd[sp.c0:sp.c1:sp.c1],
		}
	}
	return out
}

func foldRune(r rune) rune {
	switch r {
	case '0':
		return 'o'
	case '1', '!', '|', 'l':
		return 'i'
	case '3':
		return 'e'
	case '4', '@':
		return 'a'
	case '5', '$':
		return 's'
	case '7', '+':
		return 't'
	case '8':
		return 'b'
	}
	if r < utf8.RuneSelf {
		return r
	}
	switch {
	case strings.ContainsRune("àáâäãåā", r):
		return 'a'
	case strings.ContainsRune("èéêëē", r):
		return 'e'
	case strings.ContainsRune("ìíîïīı", r):
		return 'i'
	case strings.ContainsRune("òóôöõøō", r):
		return 'o'
	case strings.ContainsRune("ùúûüū", r):
		return 'u'
	case r == 'ñ':
		return 'n'
	case r == 'ç':
		return 'c'
	case r == 'ß':
		return 's'
	}
	return r
}

// mask shows a refused word's first letter only: "f***".
func mask(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	n := utf8.RuneCountInString(s[size:])
	if n > 12 {
		n = 12
	}
	return string(r) + strings.Repeat("*", n)
}
