package dedupe

import (
	"slices"
	"unicode"
	"unicode/utf8"
)

// stopWords are dropped before comparing descriptions: they say nothing about
// the problem.
var stopWords = map[string]bool{
	"the": true, "a": true, "an": true, "and": true, "or": true, "of": true, "in": true, "on": true,
	"at": true, "to": true, "is": true, "it": true, "its": true, "for": true, "from": true, "by": true,
	"with": true, "this": true, "that": true, "there": true, "are": true, "was": true, "be": true,
	"has": true, "have": true, "been": true, "please": true, "my": true, "our": true, "we": true,
	"i": true, "me": true, "near": true, "front": true, "street": true, "st": true, "ave": true,
	"avenue": true, "corner": true, "block": true, "very": true, "again": true, "still": true,
}

// tokens returns the sorted distinct FNV-1a hashes of a description's words:
// lower-cased runs of letters and digits, at least 2 characters, stop words
// removed. Hashing keeps comparison allocation-free; a 64-bit collision
// between two words of two descriptions is negligible.
func tokens(s string) []uint64 {
	var buf [64]uint64
	out := buf[:0]
	var word [64]byte
	n := 0
	flush := func() {
		if n >= 2 && n <= len(word) && !stopWords[string(word[:n])] {
			h := uint64(14695981039346656037)
			for _, b := range word[:n] {
				h ^= uint64(b)
				h *= 1099511628211
			}
			out = append(out, h)
		}
		n = 0
	}
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			r = unicode.ToLower(r)
			if n+utf8.RuneLen(r) <= len(word) {
				n += utf8.EncodeRune(word[n:], r)
			} else {
				n = len(word) + 1 // too long: not a word worth comparing
			}
			continue
		}
		flush()
	}
	flush()
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) == 0 {
		return nil
	}
	return slices.Clone(out) // one exact-size allocation
}

// jaccard returns |a ∩ b| / |a ∪ b| of two sorted distinct token sets, and
// false when either is empty (no evidence either way).
func jaccard(a, b []uint64) (float64, bool) {
	if len(a) == 0 || len(b) == 0 {
		return 0, false
	}
	inter := 0
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			inter++
			i++
			j++
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	return float64(inter) / float64(len(a)+len(b)-inter), true
}

// Similarity returns the token Jaccard similarity of two descriptions (0 to
// 1) and whether both had words to compare.
func Similarity(a, b string) (float64, bool) { return jaccard(tokens(a), tokens(b)) }
