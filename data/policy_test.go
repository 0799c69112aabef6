package data_test

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/geo311/geo311/data"
)

// S02-03-03: concerns containing lewd, obscene or derogatory content are not
// accepted.
func TestDefaultContentPolicyRefuses(t *testing.T) {
	p := data.DefaultContentPolicy()
	for _, text := range []string{
		"the shit on the sidewalk",
		"Shit.",
		"SHIT!",
		"what the fuck is this",
		"Fucking drivers speed here every night",
		"fuckin' kids",
		"motherfucker",
		"mother-fucker",
		"these assholes park on the sidewalk",
		"fuuuuuck",
		"shiiiiit",
		"f*ck that sh1t",   // leet: 1 for i
		"what a $h!t show", // symbols for letters
		"@$$hole neighbour",
		"a55hole",
		"fück",
		"f u c k you",
		"f.u.c.k",
		"s-h-i-t",
		"fu\u200bck",     // zero-width space inside
		"fu\u00adck off", // soft hyphen inside
		"shitty alley",
		"the bitches next door",
		"dick sucker",
		"dick   sucker",
		"lazy bastards",
		"a slur: nigger",
		"faggots",
		"kikes",
		"wetbacks living there",
		"trannies",
		"you retards",
	} {
		err := p.Check("description", text)
		if !errors.Is(err, data.ErrInvalid) || data.ErrorField(err) != "description" {
			t.Errorf("Check(%q) = %v, want ErrInvalid on description", text, err)
			continue
		}
		if !strings.Contains(err.Error(), "not accepted") {
			t.Errorf("Check(%q) message %q", text, err)
		}
	}
}

// S02-03-03: whole words only; ordinary words that contain, resemble or
// stretch into a refused word are accepted.
func TestDefaultContentPolicyAccepts(t *testing.T) {
	p := data.DefaultContentPolicy()
	for _, text := range []string{
		"",
		"Pothole at 4400 N Broadway, about 3 ft wide",
		"I live in Scunthorpe Street", // contains a refused word inside
		"please assess the damage",
		"first class mail",
		"cocktail bar noise after 2am",
		"a spicy smell from the restaurant vent",
		"reading Dickens on the porch",
		"Shiites and Sunnis worship at the mosque on the corner", // double i is not a stretch of "shit"
		"shiitake mushrooms growing in the parkway",
		"a stray cat and a rooster in the yard",
		"raccoons in the attic",
		"a chink in the wall lets the rain in",
		"graduated summa cum laude",
		"Mr. Fuchs at 1234 W Hancock",
		"assassin bugs in the garden",
		"as soon as possible",
		"the bass from the car is loud",
		"pass the butt cans",
		"titanic potholes",
		"niggardly service", // not a slur
		"5417 S Halsted",
		"call 312-744-5000",
		"Est-ce que quelqu'un peut réparer le lampadaire ?",
		"¿Pueden reparar la farola?",
	} {
		if err := p.Check("description", text); err != nil {
			t.Errorf("Check(%q) = %v, want accepted", text, err)
		}
	}
}

func TestContentPolicyMasksTheWord(t *testing.T) {
	err := data.DefaultContentPolicy().Check("description", "that motherfucker again")
	if err == nil {
		t.Fatal("accepted")
	}
	msg := err.Error()
	if strings.Contains(msg, "motherfucker") || !strings.Contains(msg, "m***") {
		t.Errorf("message %q: want the word masked as m***", msg)
	}
}

func TestNewContentPolicyConfiguredWords(t *testing.T) {
	// A city configures its own list (S02-03-03: "configurable word list").
	p := data.NewContentPolicy([]string{
		"# comment lines and blanks are ignored",
		"",
		"  Gremlin  ",  // trimmed, case-insensitive
		"blarg*",       // takes endings
		"snark attack", // two words in sequence
		"ÜBERDUMM",     // accents fold
		"*",            // nothing left: ignored
	})
	if p.Len() != 4 {
		t.Errorf("Len = %d, want 4", p.Len())
	}
	tests := []struct {
		text string
		bad  bool
	}{
		{"a gremlin did it", true},
		{"GREMLIN", true},
		{"gremlins", false}, // no "*": the word only
		{"gr3mlin", true},
		{"blarging", true},
		{"blargs", true},
		{"blargon", false},
		{"snark attack on 5th", true},
		{"snark  ATTACK", true},
		{"snark", false},
		{"attack", false},
		{"snark attackers", false},
		{"uberdumm", true},
		{"überdumm", true},
		{"the word shit is not on this list", false},
	}
	for _, tt := range tests {
		err := p.Check("description", tt.text)
		if (err != nil) != tt.bad {
			t.Errorf("Check(%q) = %v, want refused %v", tt.text, err, tt.bad)
		}
	}
}

func TestEmptyContentPolicyAcceptsEverything(t *testing.T) {
	var nilPolicy *data.ContentPolicy
	for _, p := range []*data.ContentPolicy{nilPolicy, data.NewContentPolicy(nil), data.NewContentPolicy([]string{"", "#"})} {
		if err := p.Check("description", "fuck"); err != nil {
			t.Errorf("empty policy refused: %v", err)
		}
		if p.Len() != 0 {
			t.Errorf("Len = %d", p.Len())
		}
	}
}

func TestReadContentWords(t *testing.T) {
	words, err := data.ReadContentWords(strings.NewReader("# city list\nfoo\n\n  bar*  \r\nbaz qux\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(words, "|"); got != "foo|bar*|baz qux" {
		t.Errorf("words %q", got)
	}
	if _, err := data.ReadContentWords(strings.NewReader("ok\n\xff\xfe\n")); !errors.Is(err, data.ErrInvalid) || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("invalid UTF-8: %v, want ErrInvalid naming line 2", err)
	}
}

func TestDefaultContentWordsIsACopy(t *testing.T) {
	w := data.DefaultContentWords()
	w[0] = "changed"
	if data.DefaultContentWords()[0] == "changed" {
		t.Errorf("DefaultContentWords shares its slice")
	}
}

func TestContentPolicyConcurrentUse(t *testing.T) {
	p := data.DefaultContentPolicy()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				if (p.Check("description", "shitting asses") == nil) || (i%2 == 0 && p.Check("d", "fine text") != nil) {
					t.Error("inconsistent answer under concurrency")
					return
				}
			}
		}()
	}
	wg.Wait()
}

func FuzzContentPolicy(f *testing.F) {
	for _, s := range []string{"", "shit", "f u c k", "a$$", "Scunthorpe", "fu\u200bck", "\xff", "'''", "s h", "x y z w"} {
		f.Add(s)
	}
	p := data.DefaultContentPolicy()
	f.Fuzz(func(t *testing.T, s string) {
		word, found := p.Find(s)
		err := p.Check("description", s)
		if found != (err != nil) {
			t.Fatalf("Find(%q) = %q, %v but Check = %v", s, word, found, err)
		}
		if found && word == "" {
			t.Fatalf("Find(%q) found an empty word", s)
		}
		if err != nil && (!errors.Is(err, data.ErrInvalid) || data.ErrorField(err) != "description") {
			t.Fatalf("Check(%q) = %v", s, err)
		}
	})
}

func BenchmarkContentPolicyCheck(b *testing.B) {
	p := data.DefaultContentPolicy()
	text := strings.Repeat("Abandoned vehicle parked in the alley behind 5417 S Halsted for three weeks, blocking garbage pickup. ", 40)[:4000]
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if err := p.Check("description", text); err != nil {
			b.Fatal(err)
		}
	}
}
