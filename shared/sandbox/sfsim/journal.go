package sfsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/repolink/repolink/shared/privatefile"
	"github.com/repolink/repolink/shared/sandbox/worldfile"
)

// journalFile is the name of the journal next to stateFile. Each line is a
// journalRecord: the whole state of one account after a statement or
// Ensure call changed it. The world is stateFile with the journal's records
// applied in order, so a change costs the size of its account, not of the
// world.
const journalFile = "snowflake.journal"

// journalMinCompact is the journal size in bytes below which save only
// appends. From there on, save compacts once the journal is as large as the
// state file, so that the rewrites of the state file cost at most about one
// byte for each byte appended.
const journalMinCompact = 1 << 20

// journalRecord is one line of the journal. A nil State removes the account.
type journalRecord struct {
	Account string   `json:"account"`
	State   *Account `json:"state"`
}

// readWorldAttempts bounds how often ReadWorld reads again because a
// compaction replaced the state file during a read. Apart from Start,
// Close and the save after a failed one, a sandbox compacts only after
// appending at least journalMinCompact bytes, so a repeated read is rare.
const readWorldAttempts = 10

// ReadWorld reads the world that a sandbox Snowflake saved in dir: the
// state file with the journal applied. Unlike Start, it changes no file, so
// it can read the world of a sandbox that is running or was killed. A
// missing file reads as an empty world.
func ReadWorld(dir string) (*World, error) {
	return readWorld(dir, nil)
}

// readWorld reads the world in dir. A compaction of a running sandbox
// between the read of the state file and the read of the journal would
// leave a world that lacks the journal's changes, so readWorld reads again
// when the state file was replaced in between. A non-nil afterState runs
// between the two reads, so that tests can compact there.
func readWorld(dir string, afterState func()) (*World, error) {
	for range readWorldAttempts {
		w, stable, err := readWorldOnce(dir, afterState)
		if err != nil || stable {
			return w, err
		}
	}
	return nil, fmt.Errorf("read sandbox snowflake state in %s: the state file was replaced during each of %d reads; try again",
		dir, readWorldAttempts)
}

// readWorldOnce reads the state file and applies the journal. It reports
// whether the state file at the end of the read is the one that it read,
// so that the journal read belongs to that state file.
func readWorldOnce(dir string, afterState func()) (*World, bool, error) {
	path := filepath.Join(dir, stateFile)
	w := &World{}
	read, err := readStateFile(path, w)
	if err != nil {
		return nil, false, err
	}
	w.fillMaps()
	if afterState != nil {
		afterState()
	}
	if _, err := replayJournal(dir, w); err != nil {
		return nil, false, err
	}

	now, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return w, read == nil, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("check sandbox snowflake state: %w", err)
	}
	return w, read != nil && os.SameFile(read, now), nil
}

// readStateFile parses the state file at path into w and returns the file's
// information, or nil when there is no state file.
func readStateFile(path string, w *World) (fs.FileInfo, error) {
	f, err := privatefile.OpenFile(path, os.O_RDONLY)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read sandbox snowflake state: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read sandbox snowflake state: %w", err)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("read sandbox snowflake state: %w", err)
	}
	if err := json.Unmarshal(data, w); err != nil {
		return nil, fmt.Errorf("parse sandbox snowflake state: %w", err)
	}
	return info, nil
}

// replayJournal applies the journal in dir to w and returns the journal's
// size. A last line without its newline is a record that a killed process
// did not finish writing. Its statement was never acknowledged, so
// replayJournal skips it. Any other line that does not parse is an error.
func replayJournal(dir string, w *World) (int64, error) {
	path := filepath.Join(dir, journalFile)
	data, err := privatefile.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read sandbox snowflake journal: %w", err)
	}

	rest := data
	for line := 1; ; line++ {
		record, after, complete := bytes.Cut(rest, []byte("\n"))
		if !complete {
			break
		}
		rest = after

		var r journalRecord
		if err := json.Unmarshal(record, &r); err != nil {
			return 0, fmt.Errorf("parse sandbox snowflake journal %s line %d: %w", path, line, err)
		}
		if r.State == nil {
			delete(w.Accounts, r.Account)
			continue
		}
		w.Accounts[r.Account] = r.State
	}
	return int64(len(data)), nil
}

// openJournal opens the journal in s.opts.Dir for appending and folds what
// it holds into the state file, so that appends never follow a record cut
// short by a killed process.
func (s *Server) openJournal(journalSize int64) error {
	if s.opts.Dir == "" {
		return nil
	}
	path := filepath.Join(s.opts.Dir, journalFile)
	f, err := privatefile.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE)
	if err != nil {
		return fmt.Errorf("open sandbox snowflake journal: %w", err)
	}
	s.journal = f
	s.journalSize = journalSize
	if journalSize > 0 {
		return s.compact()
	}
	return s.measureState()
}

// save persists the account with key account after a change. It appends
// the account to the journal, and then compacts when the journal has grown
// past its limit. An append that returned is in the operating system's page
// cache, so it survives a kill of the process, though not a crash of the
// machine. After a failed save, the next one compacts in place of the
// append, because the journal may end in part of a record. Callers hold
// s.mu. It records the outcome in StoreHealth and logs a failure with
// worldfile.Report.
func (s *Server) save(account string) (err error) {
	if s.opts.Dir == "" {
		return nil
	}
	defer func() { worldfile.Report(s.opts.Dir, err, s.opts.StoreHealth, s.log) }()
	if s.unsaved || s.journal == nil {
		return s.compact()
	}
	if err := s.appendRecord(account); err != nil {
		s.unsaved = true
		return err
	}
	if s.journalSize >= max(journalMinCompact, s.stateSize) {
		return s.compact()
	}
	return nil
}

func (s *Server) appendRecord(account string) error {
	line, err := json.Marshal(journalRecord{Account: account, State: s.world.Accounts[account]})
	if err != nil {
		return fmt.Errorf("encode sandbox snowflake account %s: %w", account, err)
	}
	line = append(line, '\n')
	n, err := s.journal.Write(line)
	s.journalSize += int64(n)
	if err != nil {
		return fmt.Errorf("append to sandbox snowflake journal: %w", err)
	}
	return nil
}

// compact writes the whole world to the state file and then empties the
// journal. A kill between the two leaves a journal whose last record of
// each account is the account's state in the new state file, except after
// a failed save, whose change was not acknowledged. Callers hold s.mu.
func (s *Server) compact() error {
	s.unsaved = true
	if err := saveWorld(s.opts.Dir, s.world); err != nil {
		return err
	}
	if err := s.measureState(); err != nil {
		return err
	}
	if s.journal != nil {
		if err := s.journal.Truncate(0); err != nil {
			return fmt.Errorf("empty sandbox snowflake journal: %w", err)
		}
		s.journalSize = 0
	}
	s.unsaved = false
	return nil
}

// measureState records the size of the state file, which sets when save
// compacts next.
func (s *Server) measureState() error {
	info, err := os.Stat(filepath.Join(s.opts.Dir, stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		s.stateSize = 0
		return nil
	}
	if err != nil {
		return fmt.Errorf("check sandbox snowflake state: %w", err)
	}
	s.stateSize = info.Size()
	return nil
}

// closeJournal compacts the world into the state file, so that a sandbox
// that stopped cleanly leaves the whole world there, and closes the
// journal. Later saves rewrite the state file.
func (s *Server) closeJournal() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.journal == nil {
		return nil
	}
	err := s.compact()
	if closeErr := s.journal.Close(); closeErr != nil && err == nil {
		err = fmt.Errorf("close sandbox snowflake journal: %w", closeErr)
	}
	s.journal = nil
	return err
}
