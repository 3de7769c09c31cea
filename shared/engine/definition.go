package engine

import (
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// stateMachine is a parsed ASL definition, or one branch of a Parallel
// state, or the item processor of a Map state.
type stateMachine struct {
	StartAt        string
	States         map[string]*state
	TimeoutSeconds int
}

// Task resource forms that the engine runs.
const (
	resourceLambdaInvoke = "arn:aws:states:::lambda:invoke"
	resourceLambdaToken  = "arn:aws:states:::lambda:invoke.waitForTaskToken"
)

// State types.
const (
	typeTask     = "Task"
	typePass     = "Pass"
	typeChoice   = "Choice"
	typeWait     = "Wait"
	typeSucceed  = "Succeed"
	typeFail     = "Fail"
	typeParallel = "Parallel"
	typeMap      = "Map"
)

// dataPath is InputPath, OutputPath or ResultPath. An absent field means
// "$"; a JSON null means the field was set to null.
type dataPath struct {
	null bool
	path *Path // nil means "$"
}

type state struct {
	Name string
	Type string
	Next string
	End  bool

	InputPath      dataPath
	OutputPath     dataPath
	ResultPath     dataPath
	Parameters     *template
	ResultSelector *template
	Result         any
	HasResult      bool

	// Task
	Resource             string
	TimeoutSeconds       int
	TimeoutSecondsPath   *Path
	HeartbeatSeconds     int
	HeartbeatSecondsPath *Path
	Retry                []retrier
	Catch                []catcher

	// Choice
	Choices []*choiceRule
	Default string

	// Wait
	Seconds       *int
	Timestamp     *time.Time
	SecondsPath   *Path
	TimestampPath *Path

	// Fail
	Error     string
	Cause     string
	ErrorPath *expression
	CausePath *expression

	// Parallel and Map
	Branches       []*stateMachine
	Processor      *stateMachine
	ItemsPath      *Path
	ItemSelector   *template
	MaxConcurrency int
	MaxConcPath    *Path
	// Distributed is a Map state in DISTRIBUTED mode, the only mode that
	// takes the tolerated failure fields. A nil threshold is not set.
	Distributed          bool
	ToleratedCount       *int
	ToleratedCountPath   *Path
	ToleratedPercent     *float64
	ToleratedPercentPath *Path

	// inputMembers are the top-level members of the input that the entry
	// of the state reads, when inputMembersOK (see inputMemberNames).
	inputMembers   []string
	inputMembersOK bool
}

// expression is a path or an intrinsic function (ErrorPath, CausePath).
type expression struct {
	path      *Path
	intrinsic *intrinsic
}

func (x *expression) eval(input, context any) (any, error) {
	if x.intrinsic != nil {
		return x.intrinsic.eval(input, context)
	}
	doc := input
	if x.path.IsContext() {
		doc = context
	}
	v, err := x.path.Get(doc)
	if err != nil {
		return nil, newStateError(ErrorRuntime, "%v", err)
	}
	return v, nil
}

// retrier is one entry of a state's Retry list.
type retrier struct {
	ErrorEquals     []string
	IntervalSeconds int
	MaxAttempts     int
	BackoffRate     float64
	MaxDelaySeconds int
	JitterFull      bool
}

// catcher is one entry of a state's Catch list.
type catcher struct {
	ErrorEquals []string
	Next        string
	ResultPath  dataPath
}

// Problem is one thing wrong with a definition: where it is and what to
// change.
type Problem struct {
	State   string // the state's name, with enclosing Parallel or Map states before it
	Field   string
	Message string
}

func (p Problem) String() string {
	var parts []string
	if p.State != "" {
		parts = append(parts, fmt.Sprintf("state %q", p.State))
	}
	if p.Field != "" {
		parts = append(parts, fmt.Sprintf("field %q", p.Field))
	}
	parts = append(parts, p.Message)
	return strings.Join(parts, ": ")
}

// DefinitionError lists every problem found in an ASL definition.
type DefinitionError struct {
	Machine  string
	Problems []Problem
}

func (e *DefinitionError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return fmt.Sprintf("invalid definition of state machine %q: %s", e.Machine, strings.Join(lines, "; "))
}

// parser collects problems while it converts a decoded definition.
type parser struct {
	problems []Problem
	// stateLabels maps each state name to the label of the first state with
	// that name, because a name must be unique in the whole definition,
	// including the states of Parallel branches and Map processors.
	stateLabels map[string]string
}

func (p *parser) add(state, field, format string, args ...any) {
	p.problems = append(p.problems, Problem{State: state, Field: field, Message: fmt.Sprintf(format, args...)})
}

// parseDefinition parses and validates an ASL definition with the JSONPath
// query language.
func parseDefinition(machine string, definition []byte) (*stateMachine, error) {
	doc, err := decodeJSON(definition)
	if err != nil {
		return nil, &DefinitionError{Machine: machine, Problems: []Problem{{Message: err.Error()}}}
	}
	obj, ok := doc.(*jsonObject)
	if !ok {
		return nil, &DefinitionError{Machine: machine, Problems: []Problem{{Message: "the definition must be a JSON object"}}}
	}
	p := &parser{stateLabels: map[string]string{}}
	sm := p.machine(obj, "", true)
	if len(p.problems) > 0 {
		return nil, &DefinitionError{Machine: machine, Problems: p.problems}
	}
	return sm, nil
}

var topLevelFields = fieldSet("Comment", "StartAt", "States", "TimeoutSeconds", "Version", "QueryLanguage")
var branchFields = fieldSet("Comment", "StartAt", "States", "ProcessorConfig", "QueryLanguage")

func fieldSet(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// machine parses a top-level definition or a nested one. scope prefixes the
// names of nested states in problems, for example `P.Branches[0].`.
func (p *parser) machine(obj *jsonObject, scope string, top bool) *stateMachine {
	allowed := branchFields
	if top {
		allowed = topLevelFields
	}
	where := strings.TrimSuffix(scope, ".")
	for _, k := range sortedObjectKeys(obj) {
		if !allowed[k] {
			p.add(where, k, "unknown field")
		}
	}
	p.queryLanguage(obj, where)

	sm := &stateMachine{States: map[string]*state{}}
	sm.StartAt, _ = p.requiredString(obj, where, "StartAt")
	if top {
		sm.TimeoutSeconds = p.optionalInt(obj, "", "TimeoutSeconds", 1)
	}

	rawStates, ok := obj.Value("States").(*jsonObject)
	if !ok || rawStates.Len() == 0 {
		p.add(where, "States", "must be an object with at least one state")
		return sm
	}
	for _, name := range sortedObjectKeys(rawStates) {
		label := scope + name
		if utf8.RuneCountInString(name) > 80 || name == "" {
			p.add(label, "", "state names must have 1 to 80 characters")
		}
		if first, used := p.stateLabels[name]; used {
			p.add(label, "", "name already used by state %q (state names must be unique across the whole state machine)", first)
		} else {
			p.stateLabels[name] = label
		}
		raw, ok := rawStates.Value(name).(*jsonObject)
		if !ok {
			p.add(label, "", "must be an object")
			continue
		}
		sm.States[name] = p.state(name, label, raw)
	}

	if sm.StartAt != "" && sm.States[sm.StartAt] == nil {
		p.add(where, "StartAt", "state %q not found", sm.StartAt)
	}
	p.transitions(sm, scope)
	return sm
}

func (p *parser) queryLanguage(obj *jsonObject, where string) {
	if v, ok := obj.Get("QueryLanguage"); ok && v != "JSONPath" {
		p.add(where, "QueryLanguage", "only JSONPath is supported, got %v", v)
	}
}

// transitions checks that every target exists and every state is reachable.
func (p *parser) transitions(sm *stateMachine, scope string) {
	check := func(from, field, target string) {
		if target != "" && sm.States[target] == nil {
			p.add(scope+from, field, "state %q not found", target)
		}
	}
	for _, name := range sortedKeys(sm.States) {
		s := sm.States[name]
		check(name, "Next", s.Next)
		check(name, "Default", s.Default)
		for i, c := range s.Choices {
			check(name, fmt.Sprintf("Choices[%d].Next", i), c.Next)
		}
		for i, c := range s.Catch {
			check(name, fmt.Sprintf("Catch[%d].Next", i), c.Next)
		}
	}
	reached := map[string]bool{}
	queue := []string{sm.StartAt}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		s := sm.States[name]
		if s == nil || reached[name] {
			continue
		}
		reached[name] = true
		queue = append(queue, s.Next, s.Default)
		for _, c := range s.Choices {
			queue = append(queue, c.Next)
		}
		for _, c := range s.Catch {
			queue = append(queue, c.Next)
		}
	}
	if sm.States[sm.StartAt] == nil {
		return
	}
	for _, name := range sortedKeys(sm.States) {
		if !reached[name] {
			p.add(scope+name, "", "state is not reachable from StartAt %q", sm.StartAt)
		}
	}
}

var stateFields = map[string]map[string]bool{
	typePass: fieldSet("Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "Result"),
	typeTask: fieldSet("Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters",
		"ResultSelector", "Resource", "TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds",
		"HeartbeatSecondsPath", "Retry", "Catch"),
	typeChoice:  fieldSet("InputPath", "OutputPath", "Choices", "Default"),
	typeWait:    fieldSet("Next", "End", "InputPath", "OutputPath", "Seconds", "Timestamp", "SecondsPath", "TimestampPath"),
	typeSucceed: fieldSet("InputPath", "OutputPath"),
	typeFail:    fieldSet("Error", "Cause", "ErrorPath", "CausePath"),
	typeParallel: fieldSet("Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters",
		"ResultSelector", "Branches", "Retry", "Catch"),
	typeMap: fieldSet("Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters",
		"ItemSelector", "ResultSelector", "ItemsPath", "MaxConcurrency", "MaxConcurrencyPath",
		"Iterator", "ItemProcessor", "Retry", "Catch", "Label", "ToleratedFailureCount",
		"ToleratedFailureCountPath", "ToleratedFailurePercentage", "ToleratedFailurePercentagePath"),
}

func (p *parser) state(name, label string, raw *jsonObject) *state {
	s := &state{Name: name}
	s.Type, _ = p.requiredString(raw, label, "Type")
	allowed, known := stateFields[s.Type]
	if !known {
		if s.Type != "" {
			p.add(label, "Type", "unknown state type %q", s.Type)
		}
		return s
	}
	for _, k := range sortedObjectKeys(raw) {
		if k != "Type" && k != "Comment" && k != "QueryLanguage" && !allowed[k] {
			p.add(label, k, "not supported in a %s state", s.Type)
		}
	}
	p.queryLanguage(raw, label)
	p.flow(s, label, raw)
	s.InputPath = p.dataPath(raw, label, "InputPath", false)
	s.OutputPath = p.dataPath(raw, label, "OutputPath", false)
	s.ResultPath = p.dataPath(raw, label, "ResultPath", true)
	s.Parameters = p.template(raw, label, "Parameters")
	s.ResultSelector = p.template(raw, label, "ResultSelector")
	s.Result, s.HasResult = raw.Get("Result")

	switch s.Type {
	case typeTask:
		p.task(s, label, raw)
	case typeChoice:
		p.choice(s, label, raw)
	case typeWait:
		p.wait(s, label, raw)
	case typeFail:
		p.fail(s, label, raw)
	case typeParallel:
		p.parallel(s, label, raw)
	case typeMap:
		p.mapState(s, label, raw)
	}
	if s.Type == typeTask || s.Type == typeParallel || s.Type == typeMap {
		s.Retry = p.retriers(raw, label)
		s.Catch = p.catchers(raw, label)
	}
	s.inputMembers, s.inputMembersOK = s.inputMemberNames()
	return s
}

// flow reads Next and End for the state types that take them.
func (p *parser) flow(s *state, label string, raw *jsonObject) {
	switch s.Type {
	case typeChoice, typeSucceed, typeFail:
		return
	}
	next, hasNext := raw.Get("Next")
	end, hasEnd := raw.Get("End")
	switch {
	case hasNext && hasEnd:
		p.add(label, "End", "must not be set together with Next")
		s.Next, _ = next.(string)
	case !hasNext && !hasEnd:
		p.add(label, "Next", "missing: set Next or \"End\": true")
	case hasNext:
		if str, ok := next.(string); ok && str != "" {
			s.Next = str
		} else {
			p.add(label, "Next", "must be a state name")
		}
	default:
		if b, ok := end.(bool); ok && b {
			s.End = true
		} else {
			p.add(label, "End", "must be true; use Next to continue")
		}
	}
}

func (p *parser) task(s *state, label string, raw *jsonObject) {
	s.Resource, _ = p.requiredString(raw, label, "Resource")
	if s.Resource == resourceLambdaInvoke || s.Resource == resourceLambdaToken {
		if s.Parameters == nil || !hasField(s.Parameters, "FunctionName") {
			p.add(label, "Parameters.FunctionName", "missing: %s needs the function to invoke", s.Resource)
		}
	}
	// NOTE: the Task state page of the Developer Guide gives 99999999 as
	// the default of TimeoutSeconds and HeartbeatSeconds but states no
	// maximum for them or their Path forms, so the engine sets none.
	s.TimeoutSeconds = p.optionalInt(raw, label, "TimeoutSeconds", 1)
	s.HeartbeatSeconds = p.optionalInt(raw, label, "HeartbeatSeconds", 1)
	s.TimeoutSecondsPath = p.optionalPath(raw, label, "TimeoutSecondsPath")
	s.HeartbeatSecondsPath = p.optionalPath(raw, label, "HeartbeatSecondsPath")
	if _, ok := raw.Get("TimeoutSeconds"); ok && s.TimeoutSecondsPath != nil {
		p.add(label, "TimeoutSecondsPath", "must not be set together with TimeoutSeconds")
	}
	if _, ok := raw.Get("HeartbeatSeconds"); ok && s.HeartbeatSecondsPath != nil {
		p.add(label, "HeartbeatSecondsPath", "must not be set together with HeartbeatSeconds")
	}
	if s.HeartbeatSeconds > 0 && s.TimeoutSeconds > 0 && s.HeartbeatSeconds >= s.TimeoutSeconds {
		p.add(label, "HeartbeatSeconds", "must be smaller than TimeoutSeconds (%d)", s.TimeoutSeconds)
	}
}

func hasField(t *template, key string) bool {
	for _, f := range t.fields {
		if f.key == key {
			return true
		}
	}
	return false
}

func (p *parser) wait(s *state, label string, raw *jsonObject) {
	set := 0
	for _, f := range []string{"Seconds", "Timestamp", "SecondsPath", "TimestampPath"} {
		if _, ok := raw.Get(f); ok {
			set++
		}
	}
	if set != 1 {
		p.add(label, "Seconds", "set exactly one of Seconds, Timestamp, SecondsPath and TimestampPath")
	}
	if _, ok := raw.Get("Seconds"); ok {
		n := p.boundedInt(raw, label, "Seconds", 0, maxWaitSeconds)
		s.Seconds = &n
	}
	if v, ok := raw.Get("Timestamp"); ok {
		str, _ := v.(string)
		ts, err := parseTimestamp(str)
		if err != nil {
			p.add(label, "Timestamp", "must be an RFC 3339 timestamp such as 2026-01-02T15:04:05Z")
		} else {
			s.Timestamp = &ts
		}
	}
	s.SecondsPath = p.optionalPath(raw, label, "SecondsPath")
	s.TimestampPath = p.optionalPath(raw, label, "TimestampPath")
}

func (p *parser) fail(s *state, label string, raw *jsonObject) {
	s.Error, _ = raw.Value("Error").(string)
	s.Cause, _ = raw.Value("Cause").(string)
	s.ErrorPath = p.expression(raw, label, "ErrorPath")
	s.CausePath = p.expression(raw, label, "CausePath")
	if _, ok := raw.Get("Error"); ok && s.ErrorPath != nil {
		p.add(label, "ErrorPath", "must not be set together with Error")
	}
	if _, ok := raw.Get("Cause"); ok && s.CausePath != nil {
		p.add(label, "CausePath", "must not be set together with Cause")
	}
}

func (p *parser) parallel(s *state, label string, raw *jsonObject) {
	branches, ok := raw.Value("Branches").([]any)
	if !ok || len(branches) == 0 {
		p.add(label, "Branches", "must be an array with at least one branch")
		return
	}
	for i, b := range branches {
		obj, ok := b.(*jsonObject)
		if !ok {
			p.add(label, fmt.Sprintf("Branches[%d]", i), "must be an object with StartAt and States")
			continue
		}
		s.Branches = append(s.Branches, p.machine(obj, fmt.Sprintf("%s.Branches[%d].", label, i), false))
	}
}

func (p *parser) mapState(s *state, label string, raw *jsonObject) {
	field := "ItemProcessor"
	proc, ok := raw.Value("ItemProcessor").(*jsonObject)
	if _, legacy := raw.Get("Iterator"); legacy {
		if ok {
			p.add(label, "Iterator", "must not be set together with ItemProcessor")
		}
		field = "Iterator"
		proc, ok = raw.Value("Iterator").(*jsonObject)
	}
	if !ok {
		p.add(label, "ItemProcessor", "missing: set an ItemProcessor with StartAt and States")
	} else {
		if cfg, ok := proc.Value("ProcessorConfig").(*jsonObject); ok {
			switch mode := cfg.Value("Mode"); mode {
			case nil, "INLINE":
			case "DISTRIBUTED":
				s.Distributed = true
				if typ, ok := cfg.Get("ExecutionType"); ok && typ != "STANDARD" {
					p.add(label, field+".ProcessorConfig.ExecutionType", "only STANDARD is supported, got %v", typ)
				}
			default:
				p.add(label, field+".ProcessorConfig.Mode", "must be INLINE or DISTRIBUTED, got %v", mode)
			}
		}
		s.Processor = p.machine(proc, label+"."+field+".", false)
	}
	if s.Parameters != nil {
		if _, ok := raw.Get("ItemSelector"); ok {
			p.add(label, "ItemSelector", "must not be set together with Parameters")
		}
		s.ItemSelector, s.Parameters = s.Parameters, nil
	} else {
		s.ItemSelector = p.template(raw, label, "ItemSelector")
	}
	s.ItemsPath = p.optionalPath(raw, label, "ItemsPath")
	s.MaxConcurrency = p.optionalInt(raw, label, "MaxConcurrency", 0)
	s.MaxConcPath = p.optionalPath(raw, label, "MaxConcurrencyPath")
	p.toleratedFailures(s, label, raw)
}

// toleratedFailures reads the failure thresholds of a DISTRIBUTED Map
// state, and rejects them in any other mode, as Step Functions does.
func (p *parser) toleratedFailures(s *state, label string, raw *jsonObject) {
	for _, f := range []string{"ToleratedFailureCount", "ToleratedFailureCountPath", "ToleratedFailurePercentage",
		"ToleratedFailurePercentagePath", "Label"} {
		if _, ok := raw.Get(f); ok && !s.Distributed {
			p.add(label, f, "is only allowed when ItemProcessor.ProcessorConfig.Mode is DISTRIBUTED")
		}
	}
	if _, ok := raw.Get("ToleratedFailureCount"); ok {
		n := p.optionalInt(raw, label, "ToleratedFailureCount", 0)
		s.ToleratedCount = &n
	}
	if v, ok := raw.Get("ToleratedFailurePercentage"); ok {
		f, ok := toFloat(v)
		if !ok || f < 0 || f > 100 {
			p.add(label, "ToleratedFailurePercentage", "must be a number from 0 to 100")
		}
		s.ToleratedPercent = &f
	}
	s.ToleratedCountPath = p.optionalPath(raw, label, "ToleratedFailureCountPath")
	s.ToleratedPercentPath = p.optionalPath(raw, label, "ToleratedFailurePercentagePath")
	if s.ToleratedCount != nil && s.ToleratedCountPath != nil {
		p.add(label, "ToleratedFailureCountPath", "must not be set together with ToleratedFailureCount")
	}
	if s.ToleratedPercent != nil && s.ToleratedPercentPath != nil {
		p.add(label, "ToleratedFailurePercentagePath", "must not be set together with ToleratedFailurePercentage")
	}
}

func (p *parser) retriers(raw *jsonObject, label string) []retrier {
	list, ok := raw.Get("Retry")
	if !ok {
		return nil
	}
	items, ok := list.([]any)
	if !ok {
		p.add(label, "Retry", "must be an array")
		return nil
	}
	var out []retrier
	for i, item := range items {
		field := fmt.Sprintf("Retry[%d]", i)
		obj, ok := item.(*jsonObject)
		if !ok {
			p.add(label, field, "must be an object")
			continue
		}
		allowed := fieldSet("ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds", "JitterStrategy", "Comment")
		for _, k := range sortedObjectKeys(obj) {
			if !allowed[k] {
				p.add(label, field+"."+k, "unknown field")
			}
		}
		r := retrier{
			ErrorEquals:     p.errorEquals(obj, label, field, i == len(items)-1),
			IntervalSeconds: 1,
			MaxAttempts:     3,
			BackoffRate:     2.0,
		}
		if _, ok := obj.Get("IntervalSeconds"); ok {
			r.IntervalSeconds = p.boundedInt(obj, label, field+".IntervalSeconds", 1, maxRetryIntervalSeconds)
		}
		if _, ok := obj.Get("MaxAttempts"); ok {
			r.MaxAttempts = p.boundedInt(obj, label, field+".MaxAttempts", 0, maxRetryAttempts)
		}
		r.MaxDelaySeconds = p.boundedInt(obj, label, field+".MaxDelaySeconds", 1, maxRetryDelaySeconds)
		if v, ok := obj.Get("BackoffRate"); ok {
			f, ok := toFloat(v)
			if !ok || f < 1 {
				p.add(label, field+".BackoffRate", "must be a number of at least 1.0")
			} else {
				r.BackoffRate = f
			}
		}
		if v, ok := obj.Get("JitterStrategy"); ok {
			switch v {
			case "FULL":
				r.JitterFull = true
			case "NONE":
			default:
				p.add(label, field+".JitterStrategy", "must be FULL or NONE, got %v", v)
			}
		}
		out = append(out, r)
	}
	return out
}

func (p *parser) catchers(raw *jsonObject, label string) []catcher {
	list, ok := raw.Get("Catch")
	if !ok {
		return nil
	}
	items, ok := list.([]any)
	if !ok {
		p.add(label, "Catch", "must be an array")
		return nil
	}
	var out []catcher
	for i, item := range items {
		field := fmt.Sprintf("Catch[%d]", i)
		obj, ok := item.(*jsonObject)
		if !ok {
			p.add(label, field, "must be an object")
			continue
		}
		allowed := fieldSet("ErrorEquals", "Next", "ResultPath", "Comment")
		for _, k := range sortedObjectKeys(obj) {
			if !allowed[k] {
				p.add(label, field+"."+k, "unknown field")
			}
		}
		c := catcher{ErrorEquals: p.errorEquals(obj, label, field, i == len(items)-1)}
		c.Next, _ = p.requiredString(obj, label, field+".Next")
		c.ResultPath = p.dataPath(obj, label, field+".ResultPath", true)
		out = append(out, c)
	}
	return out
}

// errorEquals reads an ErrorEquals list; States.ALL must be alone and in
// the last retrier or catcher.
func (p *parser) errorEquals(obj *jsonObject, label, field string, last bool) []string {
	items, ok := obj.Value("ErrorEquals").([]any)
	if !ok || len(items) == 0 {
		p.add(label, field+".ErrorEquals", "must be a non-empty array of error names")
		return nil
	}
	var names []string
	for _, it := range items {
		name, ok := it.(string)
		if !ok || name == "" {
			p.add(label, field+".ErrorEquals", "must contain only error names")
			continue
		}
		names = append(names, name)
	}
	for _, n := range names {
		if n != ErrorAll {
			continue
		}
		if len(names) > 1 {
			p.add(label, field+".ErrorEquals", "States.ALL must be the only error name in its list")
		}
		if !last {
			p.add(label, field+".ErrorEquals", "States.ALL must be in the last entry")
		}
	}
	return names
}

// dataPath reads InputPath, OutputPath or ResultPath. ResultPath must be a
// reference path.
func (p *parser) dataPath(raw *jsonObject, label, field string, reference bool) dataPath {
	key := field
	if i := strings.LastIndex(field, "."); i >= 0 {
		key = field[i+1:]
	}
	v, ok := raw.Get(key)
	if !ok {
		return dataPath{}
	}
	if v == nil {
		return dataPath{null: true}
	}

	str, ok := v.(string)
	if !ok {
		p.add(label, field, "must be a JSONPath string or null")
		return dataPath{}
	}
	path, err := ParsePath(str)
	if err != nil {
		p.add(label, field, "%v", err)
		return dataPath{}
	}

	if reference && !path.isReference() {
		p.add(label, field, "%q must be a reference path: $ followed by field names and indexes only", str)
		return dataPath{}
	}
	if len(path.segments) == 0 && !path.IsContext() {
		return dataPath{}
	}
	return dataPath{path: path}
}

// optionalPath reads ItemsPath or a field such as SecondsPath that
// selects one value. Step Functions requires a reference path there, one
// that can select only a single node, and it may start with $$.
func (p *parser) optionalPath(raw *jsonObject, label, field string) *Path {
	v, ok := raw.Get(field)
	if !ok {
		return nil
	}
	str, ok := v.(string)
	if !ok {
		p.add(label, field, "must be a JSONPath string")
		return nil
	}
	path, err := ParsePath(str)
	if err != nil {
		p.add(label, field, "%v", err)
		return nil
	}
	if !path.Definite() {
		p.add(label, field, "%q must be a reference path: $ or $$ followed by field names and indexes only", str)
		return nil
	}
	return path
}

func (p *parser) expression(raw *jsonObject, label, field string) *expression {
	v, ok := raw.Get(field)
	if !ok {
		return nil
	}
	str, ok := v.(string)
	if !ok {
		p.add(label, field, "must be a JSONPath or an intrinsic function")
		return nil
	}
	if isIntrinsic(str) {
		call, err := parseIntrinsic(str)
		if err != nil {
			p.add(label, field, "%v", err)
			return nil
		}
		return &expression{intrinsic: call}
	}
	path, err := ParsePath(str)
	if err != nil {
		p.add(label, field, "%v", err)
		return nil
	}
	return &expression{path: path}
}

func (p *parser) template(raw *jsonObject, label, field string) *template {
	v, ok := raw.Get(field)
	if !ok {
		return nil
	}
	if _, isObject := v.(*jsonObject); !isObject && field != "Parameters" {
		p.add(label, field, "must be an object")
		return nil
	}
	t, err := compileTemplate(v, field)
	if err != nil {
		if fe, ok := err.(*fieldError); ok {
			p.add(label, fe.Field, "%s", fe.Message)
		} else {
			p.add(label, field, "%v", err)
		}
		return nil
	}
	return t
}

func (p *parser) requiredString(raw *jsonObject, label, field string) (string, bool) {
	key := field
	if i := strings.LastIndex(field, "."); i >= 0 {
		key = field[i+1:]
	}
	v, ok := raw.Get(key)
	if !ok {
		p.add(label, field, "missing")
		return "", false
	}
	str, ok := v.(string)
	if !ok || str == "" {
		p.add(label, field, "must be a non-empty string")
		return "", false
	}
	return str, true
}

// optionalInt reads an integer field that must be at least minimum; an
// absent field is 0.
func (p *parser) optionalInt(raw *jsonObject, label, field string, minimum int) int {
	key := field
	if i := strings.LastIndex(field, "."); i >= 0 {
		key = field[i+1:]
	}
	v, ok := raw.Get(key)
	if !ok {
		return 0
	}
	n, ok := integerArg(v)
	if !ok || n < minimum {
		p.add(label, field, "must be an integer of at least %d", minimum)
		return 0
	}
	return n
}

// Maximums of definition fields that the Step Functions Developer Guide
// states: Seconds on the Wait state page ("from 0 up to 99999999"), and
// the retrier fields on "Handling errors in Step Functions workflows"
// (MaxDelaySeconds "greater than 0 and less than 31622401").
const (
	maxWaitSeconds          = 99999999
	maxRetryIntervalSeconds = 99999999
	maxRetryAttempts        = 99999999
	maxRetryDelaySeconds    = 31622400
)

// boundedInt reads an optional integer field that must lie between
// minimum and maximum, both included.
func (p *parser) boundedInt(raw *jsonObject, label, field string, minimum, maximum int) int {
	key := field
	if i := strings.LastIndex(field, "."); i >= 0 {
		key = field[i+1:]
	}
	v, ok := raw.Get(key)
	if !ok {
		return 0
	}
	n, ok := integerArg(v)
	if !ok || n < minimum || n > maximum {
		p.add(label, field, "must be an integer from %d to %d", minimum, maximum)
		return 0
	}
	return n
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// parseTimestamp parses an RFC 3339 timestamp with an upper-case T and Z.
func parseTimestamp(s string) (time.Time, error) {
	if strings.ContainsAny(s, "tz") {
		return time.Time{}, fmt.Errorf("timestamp %q must use an upper-case T and Z", s)
	}
	return time.Parse(time.RFC3339Nano, s)
}

// lookup returns the states that a cursor's scope points into.
func (sm *stateMachine) lookup(scope []scopeStep) (*stateMachine, error) {
	cur := sm
	for _, step := range scope {
		s := cur.States[step.State]
		if s == nil {
			return nil, fmt.Errorf("state %q not found in the definition", step.State)
		}
		switch {
		case s.Type == typeParallel && step.Branch >= 0 && step.Branch < len(s.Branches):
			cur = s.Branches[step.Branch]
		case s.Type == typeMap && s.Processor != nil:
			cur = s.Processor
		default:
			return nil, fmt.Errorf("state %q has no branch %d", step.State, step.Branch)
		}
	}
	return cur, nil
}

// scopeStep names one Parallel branch or Map processor on the way from the
// top-level states to a nested state.
type scopeStep struct {
	State  string `json:"s"`
	Branch int    `json:"b"`
}
