package engine

import (
	"fmt"
	"strings"
	"time"
)

// choiceRule is a Choice state rule: a comparison on Variable, or a
// Boolean combination of nested rules. Only top-level rules have Next.
type choiceRule struct {
	Variable  *Path
	Operator  string
	Value     any   // literal operand
	ValuePath *Path // operand of the ...Path operators
	And, Or   []*choiceRule
	Not       *choiceRule
	Next      string
}

// comparison operators and the JSON type of their literal operand.
var choiceOperators = map[string]string{
	"StringEquals":               "string",
	"StringLessThan":             "string",
	"StringGreaterThan":          "string",
	"StringLessThanEquals":       "string",
	"StringGreaterThanEquals":    "string",
	"StringMatches":              "string",
	"NumericEquals":              "number",
	"NumericLessThan":            "number",
	"NumericGreaterThan":         "number",
	"NumericLessThanEquals":      "number",
	"NumericGreaterThanEquals":   "number",
	"BooleanEquals":              "boolean",
	"TimestampEquals":            "timestamp",
	"TimestampLessThan":          "timestamp",
	"TimestampGreaterThan":       "timestamp",
	"TimestampLessThanEquals":    "timestamp",
	"TimestampGreaterThanEquals": "timestamp",
	"IsNull":                     "boolean",
	"IsPresent":                  "boolean",
	"IsNumeric":                  "boolean",
	"IsString":                   "boolean",
	"IsBoolean":                  "boolean",
	"IsTimestamp":                "boolean",
}

func (p *parser) choice(s *state, label string, raw *jsonObject) {
	items, ok := raw.Value("Choices").([]any)
	if !ok || len(items) == 0 {
		p.add(label, "Choices", "must be an array with at least one rule")
		return
	}
	for i, item := range items {
		s.Choices = append(s.Choices, p.choiceRule(item, label, fmt.Sprintf("Choices[%d]", i), true))
	}
	if v, ok := raw.Get("Default"); ok {
		if str, ok := v.(string); ok && str != "" {
			s.Default = str
		} else {
			p.add(label, "Default", "must be a state name")
		}
	}
}

func (p *parser) choiceRule(v any, label, field string, top bool) *choiceRule {
	r := &choiceRule{}
	obj, ok := v.(*jsonObject)
	if !ok {
		p.add(label, field, "must be an object")
		return r
	}
	if next, ok := obj.Get("Next"); ok {
		if !top {
			p.add(label, field+".Next", "only top-level rules may have Next")
		}
		r.Next, _ = next.(string)
	} else if top {
		p.add(label, field+".Next", "missing")
	}

	var operators []string
	for _, k := range sortedObjectKeys(obj) {
		switch {
		case k == "Next" || k == "Variable" || k == "Comment":
		case k == "And" || k == "Or" || k == "Not":
			operators = append(operators, k)
		case choiceOperators[k] != "" || isPathOperator(k):
			operators = append(operators, k)
		default:
			p.add(label, field+"."+k, "unknown field in a choice rule")
		}
	}
	if len(operators) != 1 {
		p.add(label, field, "must have exactly one comparison operator, And, Or or Not, got %d", len(operators))
		return r
	}
	op := operators[0]
	switch op {
	case "And", "Or":
		list, ok := obj.Value(op).([]any)
		if !ok || len(list) == 0 {
			p.add(label, field+"."+op, "must be a non-empty array of rules")
			return r
		}
		for i, item := range list {
			sub := p.choiceRule(item, label, fmt.Sprintf("%s.%s[%d]", field, op, i), false)
			if op == "And" {
				r.And = append(r.And, sub)
			} else {
				r.Or = append(r.Or, sub)
			}
		}
		return r
	case "Not":
		r.Not = p.choiceRule(obj.Value("Not"), label, field+".Not", false)
		return r
	}
	p.comparison(r, obj, label, field, op)
	return r
}

// isPathOperator reports whether k is the Path form of a comparison, such
// as StringEqualsPath. The Is... tests and StringMatches have no Path form.
func isPathOperator(k string) bool {
	base, ok := strings.CutSuffix(k, "Path")
	return ok && choiceOperators[base] != "" && !strings.HasPrefix(base, "Is") && base != "StringMatches"
}

func (p *parser) comparison(r *choiceRule, obj *jsonObject, label, field, op string) {
	variable, ok := obj.Value("Variable").(string)
	if !ok {
		p.add(label, field+".Variable", "missing: a comparison needs a Variable path")
		return
	}
	path, err := ParsePath(variable)
	if err != nil {
		p.add(label, field+".Variable", "%v", err)
		return
	}
	r.Variable = path
	if kind, ok := choiceOperators[op]; ok {
		r.Operator = op
		r.Value = obj.Value(op)
		if !operandHasKind(r.Value, kind) {
			p.add(label, field+"."+op, "must be a %s", kind)
		}
		return
	}
	r.Operator = strings.TrimSuffix(op, "Path")
	str, ok := obj.Value(op).(string)
	if !ok {
		p.add(label, field+"."+op, "must be a JSONPath string")
		return
	}
	if r.ValuePath, err = ParsePath(str); err != nil {
		p.add(label, field+"."+op, "%v", err)
	}
}

func operandHasKind(v any, kind string) bool {
	switch kind {
	case "string":
		_, ok := v.(string)
		return ok
	case "number":
		_, ok := toFloat(v)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "timestamp":
		s, ok := v.(string)
		if !ok {
			return false
		}
		_, err := parseTimestamp(s)
		return err == nil
	}
	return false
}

// choose returns the Next of the first matching rule, the Default, or
// States.NoChoiceMatched.
func (s *state) choose(input, context any) (string, error) {
	for _, rule := range s.Choices {
		ok, err := rule.eval(input, context)
		if err != nil {
			return "", err
		}
		if ok {
			return rule.Next, nil
		}
	}
	if s.Default != "" {
		return s.Default, nil
	}
	return "", newStateError(ErrorNoChoiceMatched, "no choice rule matched and there is no Default in state %q", s.Name)
}

// usesContext reports whether the rule, or a rule nested in it, reads a
// path in the context object.
func (r *choiceRule) usesContext() bool {
	for _, sub := range r.And {
		if sub.usesContext() {
			return true
		}
	}
	for _, sub := range r.Or {
		if sub.usesContext() {
			return true
		}
	}
	if r.Not != nil && r.Not.usesContext() {
		return true
	}
	return (r.Variable != nil && r.Variable.IsContext()) || (r.ValuePath != nil && r.ValuePath.IsContext())
}

func (r *choiceRule) eval(input, context any) (bool, error) {
	switch {
	case r.And != nil:
		for _, sub := range r.And {
			ok, err := sub.eval(input, context)
			if err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case r.Or != nil:
		for _, sub := range r.Or {
			ok, err := sub.eval(input, context)
			if err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case r.Not != nil:
		ok, err := r.Not.eval(input, context)
		return !ok, err
	}

	value, found := readPath(r.Variable, input, context)
	if r.Operator == "IsPresent" {
		return found == r.Value.(bool), nil
	}
	if !found {
		return false, newStateError(ErrorRuntime, "invalid path %s: the choice state's input has no such field", r.Variable)
	}
	operand := r.Value
	if r.ValuePath != nil {
		v, ok := readPath(r.ValuePath, input, context)
		if !ok {
			return false, newStateError(ErrorRuntime, "invalid path %s: the choice state's input has no such field", r.ValuePath)
		}
		operand = v
	}
	return compareChoice(r.Operator, value, operand), nil
}

func readPath(p *Path, input, context any) (any, bool) {
	doc := input
	if p.IsContext() {
		doc = context
	}
	v, err := p.Get(doc)
	return v, err == nil
}

// compareChoice applies one comparison operator. A value of the wrong type
// for the operator does not match.
func compareChoice(op string, value, operand any) bool {
	switch op {
	case "IsNull":
		return (value == nil) == operand.(bool)
	case "IsNumeric":
		_, ok := toFloat(value)
		return ok == operand.(bool)
	case "IsString":
		_, ok := value.(string)
		return ok == operand.(bool)
	case "IsBoolean":
		_, ok := value.(bool)
		return ok == operand.(bool)
	case "IsTimestamp":
		s, ok := value.(string)
		if ok {
			_, err := parseTimestamp(s)
			ok = err == nil
		}
		return ok == operand.(bool)
	case "BooleanEquals":
		a, ok1 := value.(bool)
		b, ok2 := operand.(bool)
		return ok1 && ok2 && a == b
	case "StringMatches":
		a, ok1 := value.(string)
		b, ok2 := operand.(string)
		return ok1 && ok2 && stringMatches(a, b)
	}
	relation := comparisonSuffix(op)
	switch {
	case strings.HasPrefix(op, "String"):
		a, ok1 := value.(string)
		b, ok2 := operand.(string)
		return ok1 && ok2 && compareOrdered(compareJavaStrings(a, b), relation)
	case strings.HasPrefix(op, "Numeric"):
		a, ok1 := toFloat(value)
		b, ok2 := toFloat(operand)
		if !ok1 || !ok2 {
			return false
		}
		return compareOrdered(cmpFloat(a, b), relation)
	case strings.HasPrefix(op, "Timestamp"):
		a, ok1 := value.(string)
		b, ok2 := operand.(string)
		if !ok1 || !ok2 {
			return false
		}
		ta, err1 := parseTimestamp(a)
		tb, err2 := parseTimestamp(b)
		if err1 != nil || err2 != nil {
			return false
		}
		return compareOrdered(ta.Compare(tb), relation)
	}
	return false
}

func comparisonSuffix(op string) string {
	for _, suffix := range []string{"LessThanEquals", "GreaterThanEquals", "LessThan", "GreaterThan", "Equals"} {
		if strings.HasSuffix(op, suffix) {
			return suffix
		}
	}
	return ""
}

func compareOrdered(c int, relation string) bool {
	switch relation {
	case "Equals":
		return c == 0
	case "LessThan":
		return c < 0
	case "GreaterThan":
		return c > 0
	case "LessThanEquals":
		return c <= 0
	case "GreaterThanEquals":
		return c >= 0
	}
	return false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// stringMatches matches s against a pattern in which * matches any run of
// characters and \* and \\ are a literal star and backslash.
func stringMatches(s, pattern string) bool {
	type token struct {
		star bool
		char rune
	}
	var tokens []token
	runes := []rune(pattern)
	for i := 0; i < len(runes); i++ {
		if runes[i] == '\\' && i+1 < len(runes) {
			i++
			tokens = append(tokens, token{char: runes[i]})
			continue
		}
		tokens = append(tokens, token{star: runes[i] == '*', char: runes[i]})
	}
	text := []rune(s)
	// Greedy matching with backtracking to the last star.
	ti, pi := 0, 0
	starP, starT := -1, 0
	for ti < len(text) {
		switch {
		case pi < len(tokens) && !tokens[pi].star && tokens[pi].char == text[ti]:
			ti++
			pi++
		case pi < len(tokens) && tokens[pi].star:
			starP, starT = pi, ti
			pi++
		case starP >= 0:
			starT++
			ti = starT
			pi = starP + 1
		default:
			return false
		}
	}
	for pi < len(tokens) && tokens[pi].star {
		pi++
	}
	return pi == len(tokens)
}

// timestampText formats a time the way Step Functions shows it in the
// context object: UTC with milliseconds.
func timestampText(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}
