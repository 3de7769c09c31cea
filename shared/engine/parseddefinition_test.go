package engine

import (
	"crypto/sha256"
	"testing"
)

func TestParsedDefinitionOfChangedText(t *testing.T) {
	e := testEngine(t, "", nil)
	first := `{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}`
	second := `{"StartAt":"B","States":{"B":{"Type":"Pass","End":true}}}`
	for _, text := range []string{first, second, first} {
		sm, hash, err := e.parsedDefinition("m", text)
		if err != nil {
			t.Fatalf("parsedDefinition(%s): %v", text, err)
		}
		if want := sha256.Sum256([]byte(text)); hash != want {
			t.Errorf("hash of %s = %x, want %x", text, hash, want)
		}
		want, err := parseDefinition("m", []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		if sm.StartAt != want.StartAt {
			t.Errorf("StartAt of the parsed %s = %q, want %q", text, sm.StartAt, want.StartAt)
		}
		if cached := e.cachedDefinition(hash); cached != sm {
			t.Errorf("cachedDefinition of %s = %p, want the returned %p", text, cached, sm)
		}
	}
	if _, _, err := e.parsedDefinition("m", `{"StartAt":"X"}`); err == nil {
		t.Error("parsedDefinition of an invalid definition returned no error")
	}
}

// Start reads the definition of its machine every time, so that an
// unchanged text is neither copied nor hashed again.
func TestParsedDefinitionOfSameTextAllocations(t *testing.T) {
	e := testEngine(t, "", nil)
	text := `{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}`
	if _, _, err := e.parsedDefinition("m", text); err != nil {
		t.Fatal(err)
	}
	n := testing.AllocsPerRun(100, func() {
		if _, _, err := e.parsedDefinition("m", text); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Errorf("parsedDefinition of the same text allocates %v times, want 0", n)
	}
}
