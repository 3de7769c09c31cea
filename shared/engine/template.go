package engine

import (
	"fmt"
	"strings"
)

// template is a compiled payload template (Parameters, ResultSelector,
// ItemSelector): a JSON value in which object keys ending in ".$" take
// their value from a path or an intrinsic function.
type template struct {
	literal  any
	fields   []templateField // set for objects
	items    []*template     // set for arrays
	isObject bool
	isArray  bool
	// usesContext is set when a path or intrinsic argument in the value
	// reads the context object ($$).
	usesContext bool
}

type templateField struct {
	key       string // output key, without ".$"
	source    string // key as written, for messages
	path      *Path
	intrinsic *intrinsic
	value     *template
}

// compileTemplate compiles a decoded JSON value. field names the value in
// error messages, for example "Parameters".
func compileTemplate(v any, field string) (*template, error) {
	switch x := v.(type) {
	case *jsonObject:
		// The fields keep their written order, which the output keeps.
		t := &template{isObject: true}
		for _, m := range x.members {
			k := m.key
			if base, dynamic := strings.CutSuffix(k, ".$"); dynamic {
				if x.Has(base) {
					return nil, &fieldError{Field: field + "." + k,
						Message: fmt.Sprintf("duplicate field: %q and %q both set %q", base, k, base)}
				}
			}
			f, err := compileField(k, m.value, field+"."+k)
			if err != nil {
				return nil, err
			}
			t.fields = append(t.fields, f)
			t.usesContext = t.usesContext || f.usesContext()
		}
		return t, nil
	case []any:
		t := &template{isArray: true}
		for i, item := range x {
			it, err := compileTemplate(item, fmt.Sprintf("%s[%d]", field, i))
			if err != nil {
				return nil, err
			}
			t.items = append(t.items, it)
			t.usesContext = t.usesContext || it.usesContext
		}
		return t, nil
	}
	return &template{literal: v}, nil
}

func compileField(key string, v any, field string) (templateField, error) {
	if !strings.HasSuffix(key, ".$") {
		sub, err := compileTemplate(v, field)
		if err != nil {
			return templateField{}, err
		}
		return templateField{key: key, source: key, value: sub}, nil
	}
	f := templateField{key: strings.TrimSuffix(key, ".$"), source: key}
	expr, ok := v.(string)
	if !ok {
		return f, &fieldError{Field: field, Message: "must be a string holding a JSONPath or an intrinsic function"}
	}
	if isIntrinsic(expr) {
		call, err := parseIntrinsic(expr)
		if err != nil {
			return f, &fieldError{Field: field, Message: err.Error()}
		}
		f.intrinsic = call
		return f, nil
	}
	path, err := ParsePath(expr)
	if err != nil {
		return f, &fieldError{Field: field, Message: err.Error()}
	}
	f.path = path
	return f, nil
}

func (f *templateField) usesContext() bool {
	switch {
	case f.value != nil:
		return f.value.usesContext
	case f.intrinsic != nil:
		return f.intrinsic.usesContext()
	}
	return f.path.IsContext()
}

// fieldError is a validation problem in one field of a state.
type fieldError struct {
	Field   string
	Message string
}

func (e *fieldError) Error() string { return fmt.Sprintf("field %q: %s", e.Field, e.Message) }

// eval builds the value, reading paths from input or, for $$, from the
// context object. A path with no match is a States.Runtime error.
func (t *template) eval(input, context any) (any, error) {
	switch {
	case t.isObject:
		out := newObject(len(t.fields))
		for _, f := range t.fields {
			v, err := f.eval(input, context)
			if err != nil {
				return nil, err
			}
			out.Set(f.key, v)
		}
		return out, nil
	case t.isArray:
		out := make([]any, len(t.items))
		for i, it := range t.items {
			v, err := it.eval(input, context)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	}
	return t.literal, nil
}

func (f *templateField) eval(input, context any) (any, error) {
	switch {
	case f.value != nil:
		return f.value.eval(input, context)
	case f.intrinsic != nil:
		return f.intrinsic.eval(input, context)
	}
	doc, where := input, "input"
	if f.path.IsContext() {
		doc, where = context, "context object"
	}
	v, err := f.path.Get(doc)
	if err != nil {
		return nil, newStateError(ErrorRuntime,
			"the JSONPath %s specified for the field %s could not be found in the %s", f.path, f.source, where)
	}
	return v, nil
}
