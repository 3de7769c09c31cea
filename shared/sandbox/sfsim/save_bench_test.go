package sfsim

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkChangingStatement times one CREATE DATABASE IF NOT EXISTS that
// creates a database, run through Server.run with its persistence, in a
// world of 2,000 accounts with 5,000 databases and schemas among them.
func BenchmarkChangingStatement(b *testing.B) {
	const accounts = 2000
	dir := b.TempDir()
	if err := saveWorld(dir, benchWorld(accounts)); err != nil {
		b.Fatal(err)
	}
	server, err := Start(context.Background(), Options{Dir: dir})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { server.Close() })

	sessions := make([]*session, accounts)
	for i := range sessions {
		sessions[i] = &session{account: accountKey(benchAccount(i)), role: "ACCOUNTADMIN", functions: map[string]*function{}}
	}

	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sql := fmt.Sprintf("CREATE DATABASE IF NOT EXISTS BENCH_%d", i)
		if _, err := server.run(context.Background(), sessions[i%accounts], sql); err != nil {
			b.Fatalf("%s: %v", sql, err)
		}
	}
}

func benchAccount(i int) string { return fmt.Sprintf("bench-%04d", i) }

// benchWorld returns a world of accounts, each with a user and a role,
// and 2,500 databases with a second schema spread over them.
func benchWorld(accounts int) *World {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	w := &World{Accounts: map[string]*Account{}}
	for i := 0; i < accounts; i++ {
		a := newAccount(accountKey(benchAccount(i)))
		a.Users["REPOLINK_SVC"] = &User{Name: "REPOLINK_SVC", PasswordDigest: "bench-digest", DefaultRole: "ACCOUNTADMIN"}
		a.Roles["REPOLINK_ROLE"] = &Role{Name: "REPOLINK_ROLE", CreatedOn: now}
		w.Accounts[a.Name] = a
	}
	for i := 0; i < 2500; i++ {
		db := newDatabase(fmt.Sprintf("DB_%d", i), now)
		db.Schemas["PACKAGES"] = newSchema("PACKAGES", now)
		w.Accounts[accountKey(benchAccount(i%accounts))].Databases[db.Name] = db
	}
	return w
}
