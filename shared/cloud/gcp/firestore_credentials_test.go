package gcp

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/sandbox/gcpsim"
	"github.com/repolink/repolink/shared/workflow"
)

// newTestCredentials returns a credential store on the simulator whose
// requests transport sends; nil means a transport of the store's own.
func newTestCredentials(t *testing.T, sim *gcpsim.Server, transport http.RoundTripper) *CredentialExpiries {
	t.Helper()
	return openTestStore(t, sim, transport, NewCredentialExpiries)
}

// testExpiry returns the expiry record of the SECRET of request id, issued
// at a fixed time and expiring hours later.
func testExpiry(id string, hours int) workflow.CredentialExpiry {
	issued := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	return workflow.CredentialExpiry{
		Secret:    "PLATFORM.PACKAGES.REPOLINK_" + id + "_SECRET",
		Execution: id + "-run-1",
		Request: request.Request{
			ID:        id,
			Snowflake: request.Snowflake{Account: "MyOrg-Analytics"},
			Repository: request.Repository{
				Auth: request.Auth{Type: "password", Username: "oauth2accesstoken", PasswordRef: "gcp-secretmanager:projects/p/secrets/s"},
			},
		},
		IssuedAt:  issued,
		ExpiresAt: issued.Add(time.Duration(hours) * time.Hour),
	}
}

func TestCredentialsPutListDelete(t *testing.T) {
	sim := startWaitsSim(t, "", 1)
	store := newTestCredentials(t, sim, nil)
	ctx := context.Background()

	late, early := testExpiry("DATA-2", 3), testExpiry("DATA-1", 1)
	for _, c := range []workflow.CredentialExpiry{late, early} {
		if err := store.Put(ctx, c); err != nil {
			t.Fatalf("Put %s: %v", c.Secret, err)
		}
	}
	replaced := early
	replaced.Execution = "DATA-1-run-2"
	if err := store.Put(ctx, replaced); err != nil {
		t.Fatalf("Put again: %v", err)
	}

	// The simulator returns one document a page, so List reads two pages.
	list, err := store.List(ctx)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(list) != 2 {
		t.Fatalf("List = %d records, want 2", len(list))
	}
	if list[0].Execution != "DATA-1-run-2" || list[1].Secret != late.Secret {
		t.Errorf("List = %+v, want the replaced DATA-1 record first, then DATA-2", list)
	}
	if !list[0].ExpiresAt.Equal(early.ExpiresAt) {
		t.Errorf("ExpiresAt read back = %s, want %s", list[0].ExpiresAt, early.ExpiresAt)
	}

	for range 2 {
		if err := store.Delete(ctx, early.Key()); err != nil {
			t.Fatalf("Delete: %v", err)
		}
	}
	list, err = store.List(ctx)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(list) != 1 || list[0].Secret != late.Secret {
		t.Errorf("List after Delete = %+v, want DATA-2 alone", list)
	}
}

// The records are under the waits collection, and the waits store lists
// none of them.
func TestCredentialsHiddenFromWaits(t *testing.T) {
	sim := startWaitsSim(t, "", 0)
	store := newTestCredentials(t, sim, nil)
	if err := store.Put(context.Background(), testExpiry("DATA-1", 1)); err != nil {
		t.Fatal(err)
	}
	waits := newTestWaits(t, sim, &recorder{})
	list, err := waits.List(context.Background())
	if err != nil {
		t.Fatalf("List waits: %v", err)
	}
	if len(list) != 0 {
		t.Errorf("waits = %+v, want none", list)
	}
	if name := store.RecordName("acct/secret"); !strings.HasPrefix(name, waits.Collection()+"/credential-expiries/records/") {
		t.Errorf("record name %s is not under %s/credential-expiries/records", name, waits.Collection())
	}
}

func TestCredentialsUpdate(t *testing.T) {
	sim := startWaitsSim(t, "", 0)
	store := newTestCredentials(t, sim, nil)
	ctx := context.Background()
	c := testExpiry("DATA-1", 1)

	err := store.Update(ctx, c.Key(), func(stored *workflow.CredentialExpiry) (*workflow.CredentialExpiry, error) {
		if stored != nil {
			t.Errorf("stored record before the first write = %+v, want nil", stored)
		}
		return &c, nil
	})
	if err != nil {
		t.Fatalf("Update that creates: %v", err)
	}

	refused := errors.New("refused")
	err = store.Update(ctx, c.Key(), func(*workflow.CredentialExpiry) (*workflow.CredentialExpiry, error) {
		changed := c
		changed.Execution = "other"
		return &changed, refused
	})
	if !errors.Is(err, refused) {
		t.Errorf("Update whose change fails: error %v, want the change's error", err)
	}

	var seen *workflow.CredentialExpiry
	err = store.Update(ctx, c.Key(), func(stored *workflow.CredentialExpiry) (*workflow.CredentialExpiry, error) {
		seen = stored
		return nil, nil
	})
	if err != nil {
		t.Fatalf("Update that deletes: %v", err)
	}
	if seen == nil || seen.Execution != c.Execution {
		t.Errorf("stored record passed to change = %+v, want the created one", seen)
	}
	if list, _ := store.List(ctx); len(list) != 0 {
		t.Errorf("records after the deleting Update = %+v, want none", list)
	}

	other := testExpiry("DATA-2", 1)
	err = store.Update(ctx, c.Key(), func(*workflow.CredentialExpiry) (*workflow.CredentialExpiry, error) { return &other, nil })
	if err == nil || !strings.Contains(err.Error(), "key") {
		t.Errorf("Update that returns another key's record: error %v, want one naming the key", err)
	}
}

// interleave runs write once, right after the first read of a credential
// record reaches the server and before its response returns, so that the
// reader's write meets a document changed after its read.
type interleave struct {
	next  http.RoundTripper
	once  sync.Once
	write func()
}

func (i *interleave) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := i.next.RoundTrip(req)
	if req.Method == http.MethodGet && strings.Contains(req.URL.Path, "/"+credentialRecordsID+"/") {
		i.once.Do(i.write)
	}
	return resp, err
}

// TestCredentialsUpdateAfterConflict changes a record between another
// caller's read and write. Without the update time precondition, the
// caller's write would undo the other change.
func TestCredentialsUpdateAfterConflict(t *testing.T) {
	sim := startWaitsSim(t, "", 0)
	ctx := context.Background()
	c := testExpiry("DATA-1", 1)
	other := newTestCredentials(t, sim, nil)
	if err := other.Put(ctx, c); err != nil {
		t.Fatal(err)
	}
	warnedAt := c.IssuedAt.Add(50 * time.Minute)
	renewingUntil := c.IssuedAt.Add(55 * time.Minute)
	racer := &interleave{next: newTestTransport(t), write: func() {
		err := other.Update(ctx, c.Key(), func(stored *workflow.CredentialExpiry) (*workflow.CredentialExpiry, error) {
			changed := *stored
			changed.WarnedAt = warnedAt
			return &changed, nil
		})
		if err != nil {
			t.Errorf("competing Update: %v", err)
		}
	}}
	store := newTestCredentials(t, sim, racer)
	store.pause = func(context.Context, int) error { return nil }

	calls := 0
	err := store.Update(ctx, c.Key(), func(stored *workflow.CredentialExpiry) (*workflow.CredentialExpiry, error) {
		calls++
		changed := *stored
		changed.RenewingUntil = renewingUntil
		return &changed, nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if calls != 2 {
		t.Errorf("change called %d times, want 2: once before and once after the conflict", calls)
	}
	list, err := store.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || !list[0].WarnedAt.Equal(warnedAt) || !list[0].RenewingUntil.Equal(renewingUntil) {
		t.Errorf("record = %+v, want both changes", list)
	}
}

func TestCredentialNoticeClaims(t *testing.T) {
	sim := startWaitsSim(t, "", 0)
	store := newTestCredentials(t, sim, nil)
	ctx := context.Background()
	c := testExpiry("DATA-1", 1)
	now := c.IssuedAt.Add(45 * time.Minute)
	until := now.Add(20 * time.Second)

	claim := func(c workflow.CredentialExpiry, at time.Time) bool {
		t.Helper()
		claimed, err := store.ClaimNotice(ctx, c, at, at.Add(20*time.Second))
		if err != nil {
			t.Fatalf("ClaimNotice: %v", err)
		}
		return claimed
	}
	if err := store.MarkNoticeSent(ctx, c); err != nil {
		t.Fatalf("MarkNoticeSent without a claim: %v", err)
	}
	if !claim(c, now) {
		t.Fatal("first claim = false, want true: a notification without a claim is not sent")
	}
	if claim(c, now.Add(time.Second)) {
		t.Error("claim while the first lasts = true, want false")
	}
	if err := store.ReleaseNotice(ctx, c, until.Add(time.Second)); err != nil {
		t.Fatalf("ReleaseNotice of another claim: %v", err)
	}
	if claim(c, now.Add(2*time.Second)) {
		t.Error("claim after releasing another claim = true, want false")
	}
	if err := store.ReleaseNotice(ctx, c, until); err != nil {
		t.Fatalf("ReleaseNotice: %v", err)
	}
	if !claim(c, now.Add(3*time.Second)) {
		t.Error("claim after the release = false, want true")
	}
	if !claim(c, now.Add(time.Minute)) {
		t.Error("claim after the earlier claim lapsed = false, want true")
	}

	if err := store.MarkNoticeSent(ctx, c); err != nil {
		t.Fatalf("MarkNoticeSent: %v", err)
	}
	if claim(c, now.Add(time.Hour)) {
		t.Error("claim of a sent notification = true, want false")
	}

	renewed := c
	renewed.IssuedAt, renewed.ExpiresAt = c.ExpiresAt, c.ExpiresAt.Add(time.Hour)
	if !claim(renewed, now.Add(time.Hour)) {
		t.Error("claim for a later expiry = false, want true")
	}
	if err := store.MarkNoticeSent(ctx, c); err != nil {
		t.Fatalf("MarkNoticeSent of the earlier expiry: %v", err)
	}
	if claim(renewed, now.Add(time.Hour+time.Second)) {
		t.Error("the earlier expiry's MarkNoticeSent changed the later claim")
	}
}

// Deleting a record, with Delete or Update, deletes its notification
// claim, so that the collection keeps no claim of a torn down SECRET.
func TestCredentialDeleteRemovesNotice(t *testing.T) {
	for _, tt := range []struct {
		name   string
		delete func(ctx context.Context, store *CredentialExpiries, key string) error
	}{
		{name: "delete", delete: func(ctx context.Context, store *CredentialExpiries, key string) error {
			return store.Delete(ctx, key)
		}},
		{name: "update", delete: func(ctx context.Context, store *CredentialExpiries, key string) error {
			return store.Update(ctx, key, func(*workflow.CredentialExpiry) (*workflow.CredentialExpiry, error) { return nil, nil })
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sim := startWaitsSim(t, "", 0)
			store := newTestCredentials(t, sim, nil)
			ctx := context.Background()
			c := testExpiry("DATA-1", 1)
			if err := store.Put(ctx, c); err != nil {
				t.Fatal(err)
			}
			now := c.IssuedAt.Add(45 * time.Minute)
			if _, err := store.ClaimNotice(ctx, c, now, now.Add(time.Second)); err != nil {
				t.Fatal(err)
			}
			if err := store.MarkNoticeSent(ctx, c); err != nil {
				t.Fatal(err)
			}

			if err := tt.delete(ctx, store, c.Key()); err != nil {
				t.Fatalf("delete: %v", err)
			}
			doc, err := store.get(ctx, store.NoticeName(c.Key()))
			if err != nil {
				t.Fatal(err)
			}
			if doc != nil {
				t.Errorf("notification claim after the record was deleted = %+v, want none", doc.Fields)
			}
		})
	}
}

func TestCredentialCheckClaim(t *testing.T) {
	sim := startWaitsSim(t, "", 0)
	first, second := newTestCredentials(t, sim, nil), newTestCredentials(t, sim, nil)
	ctx := context.Background()
	now := time.Date(2026, 12, 5, 9, 45, 0, 0, time.UTC)
	claim := func(store *CredentialExpiries, at time.Time) bool {
		t.Helper()
		claimed, err := store.ClaimCheck(ctx, at, at.Add(30*time.Second))
		if err != nil {
			t.Fatalf("ClaimCheck: %v", err)
		}
		return claimed
	}

	if !claim(first, now) {
		t.Fatal("first claim = false, want true")
	}
	if claim(second, now.Add(10*time.Second)) {
		t.Error("claim of another poller while the first lasts = true, want false")
	}
	if !claim(second, now.Add(time.Minute)) {
		t.Error("claim after the first lapsed = false, want true")
	}
	if list, err := first.List(ctx); err != nil || len(list) != 0 {
		t.Errorf("records = %+v (error %v), want none: the claim is not a record", list, err)
	}
}
