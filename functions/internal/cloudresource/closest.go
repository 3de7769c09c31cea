package cloudresource

import (
	"cmp"
	"slices"
	"strings"
)

// ClosestNames returns up to three of names, the nearest to name first,
// joined with ", ", so that a message shows a misspelt name next to the
// one meant. Nearness is the Levenshtein distance without regard to case,
// and names at the same distance keep their order. It returns none when
// names is empty.
func ClosestNames(names []string, name, none string) string {
	const count = 3
	if len(names) == 0 {
		return none
	}
	type candidate struct {
		name     string
		distance int
	}
	target := strings.ToLower(name)
	candidates := make([]candidate, len(names))
	for i, n := range names {
		candidates[i] = candidate{n, editDistance(strings.ToLower(n), target)}
	}
	slices.SortStableFunc(candidates, func(a, b candidate) int { return cmp.Compare(a.distance, b.distance) })

	picked := make([]string, 0, count)
	for _, c := range candidates[:min(count, len(candidates))] {
		picked = append(picked, c.name)
	}
	return strings.Join(picked, ", ")
}

// editDistance returns the Levenshtein distance between a and b in bytes,
// which suffices for the ASCII names of regions, locations and VM sizes.
func editDistance(a, b string) int {
	previous := make([]int, len(b)+1)
	current := make([]int, len(b)+1)
	for j := range previous {
		previous[j] = j
	}
	for i := 1; i <= len(a); i++ {
		current[0] = i
		for j := 1; j <= len(b); j++ {
			substitution := previous[j-1]
			if a[i-1] != b[j-1] {
				substitution++
			}
			current[j] = min(previous[j]+1, current[j-1]+1, substitution)
		}
		previous, current = current, previous
	}
	return previous[len(b)]
}
