package engine

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// History storage. A write batch stores the new events of each execution
// that it changed as one row of event_parts, in the same transaction as
// the state change that they record. For the 20-state machine of
// BenchmarkExecution, cmd/benchengine measured a mean of 10 rows per
// execution in place of 66, one per event. Stores written before
// event_parts existed keep their events as rows of the events table, and
// History reads both.

// partFormat is the first byte of an event_parts data value. Raise it for
// every change to the encoding, and keep reading the older ones.
const partFormat = 1

// maxPartRows is the maximum number of event_parts rows that one INSERT
// statement writes, with 4 bound values each.
const maxPartRows = 64

// maxKeptPartBytes is the size above which a batch drops its encoding
// buffer instead of keeping it for the next batch.
const maxKeptPartBytes = 1 << 20

// historyPart is the encoded range of the events of one execution that one
// batch appends.
type historyPart struct {
	execution       string
	firstID, lastID int64
	start, end      int // byte range of the encoded events in the batch buffer
}

// appendPart appends the encoding of events to buf. It starts with the
// byte partFormat. Each event then has the varint differences of its ID and
// of its timestamp (Unix nanoseconds) from the previous event's, from 0
// for the first event. Its type, state and details follow, each as a
// uvarint length and the bytes.
func appendPart(buf []byte, events []Event) []byte {
	buf = append(buf, partFormat)
	var prevID, prevTS int64
	for _, ev := range events {
		ts := ev.Timestamp.UnixNano()
		buf = binary.AppendVarint(buf, ev.ID-prevID)
		buf = binary.AppendVarint(buf, ts-prevTS)
		buf = appendText(buf, ev.Type)
		buf = appendText(buf, ev.State)
		buf = binary.AppendUvarint(buf, uint64(len(ev.Details)))
		buf = append(buf, ev.Details...)
		prevID, prevTS = ev.ID, ts
	}
	return buf
}

// AppendHistoryPart appends to buf the event_parts data value that a write
// batch stores for events, which must be new events of one execution in
// order of ID. It lets a benchmark store histories as the engine does.
func AppendHistoryPart(buf []byte, events []Event) []byte { return appendPart(buf, events) }

func appendText(buf []byte, text string) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(text)))
	return append(buf, text...)
}

var errPartCorrupt = errors.New("history part is truncated or corrupt")

// decodePart appends the events that appendPart encoded in data to out.
// Their Details share data's memory, so data must not change afterwards.
// Event types, which repeat in every history, are interned in types.
func decodePart(out []Event, execution string, data []byte, types map[string]string) ([]Event, error) {
	if len(data) == 0 {
		return out, errPartCorrupt
	}
	if data[0] != partFormat {
		return out, fmt.Errorf("unknown history part format %d: use a newer repolink to read this store", data[0])
	}
	d := partDecoder{data: data[1:]}
	var id, ts int64
	for len(d.data) > 0 && d.err == nil {
		id += d.varint()
		ts += d.varint()
		typ := d.bytes()
		state := d.bytes()
		details := d.bytes()
		if d.err != nil {
			break
		}
		out = append(out, Event{ID: id, Execution: execution, Type: internType(types, typ), State: string(state),
			Timestamp: time.Unix(0, ts).UTC(), Details: json.RawMessage(details)})
	}
	return out, d.err
}

// partDecoder is a reader of the fields of an encoded part. It keeps the
// first error so that the caller checks once per event.
type partDecoder struct {
	data []byte
	err  error
}

func (d *partDecoder) varint() int64 {
	v, n := binary.Varint(d.data)
	if n <= 0 {
		d.err = errPartCorrupt
		return 0
	}
	d.data = d.data[n:]
	return v
}

func (d *partDecoder) bytes() []byte {
	size, n := binary.Uvarint(d.data)
	if n <= 0 || size > uint64(len(d.data)-n) {
		d.err = errPartCorrupt
		return nil
	}
	end := n + int(size)
	// The capacity ends with the field, so that appending to the returned
	// slice copies it instead of overwriting the next field.
	out := d.data[n:end:end]
	d.data = d.data[end:]
	return out
}

func internType(types map[string]string, typ []byte) string {
	if interned, ok := types[string(typ)]; ok {
		return interned
	}
	text := string(typ)
	types[text] = text
	return text
}

// insertEvents writes history events as one event_parts row per
// execution, with multi-row INSERT statements. Call it only from the
// caller running a batch, which owns e.eventArgs, e.historyParts and
// e.partBuf.
func (e *Engine) insertEvents(ctx context.Context, tx *storeTx, events []Event) error {
	if len(events) == 0 {
		return nil
	}
	parts, buf := e.encodeParts(events)
	args := e.eventArgs[:0]
	defer func() {
		clear(args)
		e.eventArgs = args[:0]
		clear(parts)
		e.historyParts = parts[:0]
		e.partBuf = nil
		if cap(buf) <= maxKeptPartBytes {
			e.partBuf = buf[:0]
		}
	}()
	for rest := parts; len(rest) > 0; {
		n := min(len(rest), maxPartRows)
		args = args[:0]
		for _, p := range rest[:n] {
			args = append(args, p.execution, p.firstID, p.lastID, buf[p.start:p.end])
		}
		if _, err := tx.ExecContext(ctx, partInsert(n), args...); err != nil {
			return fmt.Errorf("append %d history parts: %w", n, err)
		}
		rest = rest[n:]
	}
	return nil
}

// encodeParts groups events by execution, in the order of their first
// event and keeping their order within each execution, and encodes each
// group into the returned buffer.
func (e *Engine) encodeParts(events []Event) ([]historyPart, []byte) {
	parts := e.historyParts[:0]
	buf := e.partBuf[:0]
	single := true
	for _, ev := range events[1:] {
		if ev.Execution != events[0].Execution {
			single = false
			break
		}
	}
	if single {
		start := len(buf)
		buf = appendPart(buf, events)
		parts = append(parts, partOf(events, start, len(buf)))
		return parts, buf
	}

	// A stable sort by the position of each execution's first event
	// groups the events and keeps their order within each execution. It
	// reorders the batch's own buffer, which nothing reads after this
	// write.
	first := make(map[string]int, 16)
	for i, ev := range events {
		if _, ok := first[ev.Execution]; !ok {
			first[ev.Execution] = i
		}
	}
	grouped := events
	slices.SortStableFunc(grouped, func(a, b Event) int { return first[a.Execution] - first[b.Execution] })
	for len(grouped) > 0 {
		n := 1
		for n < len(grouped) && grouped[n].Execution == grouped[0].Execution {
			n++
		}
		start := len(buf)
		buf = appendPart(buf, grouped[:n])
		parts = append(parts, partOf(grouped[:n], start, len(buf)))
		grouped = grouped[n:]
	}
	return parts, buf
}

// partOf returns the historyPart of the events of one execution, encoded at
// buf[start:end].
func partOf(events []Event, start, end int) historyPart {
	p := historyPart{execution: events[0].Execution, firstID: events[0].ID, lastID: events[0].ID, start: start, end: end}
	for _, ev := range events[1:] {
		p.firstID = min(p.firstID, ev.ID)
		p.lastID = max(p.lastID, ev.ID)
	}
	return p
}

// partInserts is the INSERT statement text for each row count, built once
// so that the prepared statement cache keys on the same strings.
var partInserts [maxPartRows + 1]string

func init() {
	for n := 1; n <= maxPartRows; n++ {
		partInserts[n] = `INSERT INTO event_parts (execution, first_id, last_id, data) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?), ", n), ", ")
	}
}

func partInsert(n int) string { return partInserts[n] }

// readHistory returns the events of an execution in order of ID: the rows
// of the events table that engines before event_parts wrote, and the
// events of its event_parts rows.
func (e *Engine) readHistory(ctx context.Context, name string) ([]Event, error) {
	out, err := e.readEventRows(ctx, name)
	if err != nil {
		return nil, err
	}
	if e.noEventParts {
		return out, nil
	}
	rows, err := e.db.QueryContext(ctx, `SELECT first_id, data FROM event_parts
		WHERE execution = ? ORDER BY first_id`, name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	types := map[string]string{}
	for rows.Next() {
		var firstID int64
		// Scan into a []byte copies the value, so the events may keep it.
		var data []byte
		if err := rows.Scan(&firstID, &data); err != nil {
			return nil, err
		}
		if out, err = decodePart(out, name, data, types); err != nil {
			return nil, fmt.Errorf("decode history part starting at event %d: %w", firstID, err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if !slices.IsSortedFunc(out, compareEventIDs) {
		slices.SortStableFunc(out, compareEventIDs)
	}
	return out, nil
}

func compareEventIDs(a, b Event) int {
	switch {
	case a.ID < b.ID:
		return -1
	case a.ID > b.ID:
		return 1
	}
	return 0
}

// readEventRows returns the events of an execution that are stored one
// row per event, in order of ID.
func (e *Engine) readEventRows(ctx context.Context, name string) ([]Event, error) {
	rows, err := e.db.QueryContext(ctx, `SELECT id, type, state, ts, details FROM events
		WHERE execution = ? ORDER BY id`, name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		ev := Event{Execution: name}
		var ts int64
		var details string
		if err := rows.Scan(&ev.ID, &ev.Type, &ev.State, &ts, &details); err != nil {
			return nil, err
		}
		ev.Timestamp = time.Unix(0, ts).UTC()
		ev.Details = json.RawMessage(details)
		out = append(out, ev)
	}
	return out, rows.Err()
}
