package clash_test

import (
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/request/clash"
)

var testCommands = clash.Commands{
	Teardown: func(id, execution string) string { return "'teardown " + execution + "'" },
	Redrive:  func(teardown string) string { return "'redrive " + teardown + "'" },
	Stop:     func(execution string) string { return "'stop " + execution + "'" },
}

func TestObjectsAdvice(t *testing.T) {
	tests := []struct {
		name   string
		holder clash.Holder
		want   []string
	}{
		{
			name:   "succeeded",
			holder: clash.Holder{Request: "R-1", Execution: "X-1", Status: "SUCCEEDED"},
			want: []string{
				"as request R-1 does in execution X-1 (SUCCEEDED), and no teardown of R-1 has succeeded since;",
				"or tear down request R-1 first with 'teardown X-1' and then send it",
			},
		},
		{
			name:   "failed",
			holder: clash.Holder{Request: "R-1", Execution: "X-1", Status: "FAILED"},
			want:   []string{"(FAILED), which may have built resources before it stopped, and no teardown"},
		},
		{
			name:   "teardown running",
			holder: clash.Holder{Request: "R-1", Execution: "X-1", Status: "SUCCEEDED", Teardown: "T-1", TeardownStatus: "RUNNING"},
			want: []string{
				"and teardown T-1 of R-1, which started since, is still running;",
				"or wait for teardown T-1 of request R-1 to succeed and then send it",
			},
		},
		{
			name:   "teardown failed",
			holder: clash.Holder{Request: "R-1", Execution: "X-1", Status: "SUCCEEDED", Teardown: "T-1", TeardownStatus: "FAILED"},
			want: []string{
				"and teardown T-1 of R-1, which started since, closed with FAILED;",
				"or finish the teardown of request R-1 first with 'redrive T-1' and then send it",
			},
		},
		{
			name:   "running",
			holder: clash.Holder{Request: "R-1", Execution: "X-1", Status: "RUNNING"},
			want: []string{
				"(RUNNING), and no teardown of R-1 has succeeded since;",
				"or wait for execution X-1 of request R-1 to close, or stop it with 'stop X-1', then tear down request R-1 with 'teardown X-1' and then send it",
			},
		},
		{
			name:   "pending redrive",
			holder: clash.Holder{Request: "R-1", Execution: "X-1", Status: "PENDING_REDRIVE"},
			want:   []string{"or wait for execution X-1 of request R-1 to close, or stop it with 'stop X-1', then tear down"},
		},
		{
			name:   "starting",
			holder: clash.Holder{Request: "R-1", Execution: "X-1", Status: clash.StatusStarting},
			want: []string{
				"in execution X-1 (starting), which another delivery of R-1 is starting;",
				"or wait for execution X-1 of request R-1 to close, or stop it with 'stop X-1', then tear down",
			},
		},
		{
			name:   "gone",
			holder: clash.Holder{Request: "R-1", Execution: "X-1", Status: clash.StatusGone},
			want:   []string{"(no longer in the execution history), and no teardown of R-1 has succeeded since;"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := clash.Rejection{RequestID: "R-2", Route: request.RoutePublic, Account: "Acct", Holder: tt.holder, Commands: testCommands, Retry: "send it"}
			message := r.Objects([]string{"secret A", "API integration B", "artifact repository C"})
			if !strings.HasPrefix(message, "request R-2 names secret A, API integration B and artifact repository C in Snowflake account Acct,") {
				t.Errorf("message lacks the request and its objects:\n%s", message)
			}
			for _, want := range tt.want {
				if !strings.Contains(message, want) {
					t.Errorf("message lacks %q:\n%s", want, message)
				}
			}
		})
	}
}

func TestHostRetry(t *testing.T) {
	r := clash.Rejection{RequestID: "R-2", Account: "Acct", Holder: clash.Holder{Request: "R-1", Execution: "X-1", Status: "RUNNING"}, Commands: testCommands}
	message := r.Host("pypi.example.com")
	if !strings.HasPrefix(message, "request R-2 uses the index host pypi.example.com in Snowflake account Acct,") {
		t.Errorf("message lacks the request and its host:\n%s", message)
	}
	if want := "wait for execution X-1 of request R-1 to close, or stop it with 'stop X-1', then tear down request R-1 with 'teardown X-1', " +
		"or use another host name for this index in $.repository.index_url"; !strings.HasSuffix(message, want) {
		t.Errorf("message without a retry does not end with %q:\n%s", want, message)
	}

	r.Retry = "send it"
	if want := "$.repository.index_url, and then send it"; !strings.HasSuffix(r.Host("pypi.example.com"), want) {
		t.Errorf("message with a retry does not end with %q:\n%s", want, r.Host("pypi.example.com"))
	}
}

func TestTeardownWithoutCommand(t *testing.T) {
	r := clash.Rejection{RequestID: "R-2", Account: "Acct", Holder: clash.Holder{Request: "R-1", Execution: "X-1", Status: "SUCCEEDED"}, Retry: "send it"}
	if want := "or tear down request R-1 first and then send it"; !strings.HasSuffix(r.Objects([]string{"secret A"}), want) {
		t.Errorf("message without commands does not end with %q:\n%s", want, r.Objects([]string{"secret A"}))
	}

	r.Holder.Status = "RUNNING"
	if want := "or wait for execution X-1 of request R-1 to close, or stop it, then tear down request R-1 and then send it"; !strings.HasSuffix(r.Objects([]string{"secret A"}), want) {
		t.Errorf("message without commands for a running holder does not end with %q:\n%s", want, r.Objects([]string{"secret A"}))
	}
}

func TestRedriveAdvice(t *testing.T) {
	holder := clash.Holder{Request: "R-1", Execution: "X-1", Status: "SUCCEEDED"}
	r := clash.Rejection{RequestID: "R-2", Route: request.RoutePublic, Account: "Acct", Holder: holder,
		Commands: testCommands, Retry: "redrive it", Redriven: "X-2"}

	objects := r.Objects([]string{"secret A"})
	for _, want := range []string{
		"; a redrive of execution X-2 would fail with a conflict in the Snowflake steps.",
		"The names now belong to request R-1, so tear down request R-1 first with 'teardown X-1' and then redrive it, " +
			"or tear down execution X-2 of this request with 'teardown X-2' and start the request as a new run with another $.repository.name",
	} {
		if !strings.Contains(objects, want) {
			t.Errorf("objects message lacks %q:\n%s", want, objects)
		}
	}
	if strings.Contains(objects, "Give this request another $.repository.name") {
		t.Errorf("objects message suggests changing the redriven request:\n%s", objects)
	}

	host := r.Host("pypi.example.com")
	want := "is not supported. The index host now belongs to request R-1, so tear down request R-1 first with 'teardown X-1' and then redrive it, " +
		"or tear down execution X-2 of this request with 'teardown X-2' and start the request as a new run with another host name for this index in $.repository.index_url"
	if !strings.HasSuffix(host, want) {
		t.Errorf("host message does not end with %q:\n%s", want, host)
	}

	r.Commands = clash.Commands{}
	if want := "or tear down execution X-2 of this request and start the request as a new run"; !strings.Contains(r.Objects([]string{"secret A"}), want) {
		t.Errorf("message without commands lacks %q:\n%s", want, r.Objects([]string{"secret A"}))
	}
}

func TestJoinAnd(t *testing.T) {
	tests := []struct {
		items []string
		want  string
	}{
		{items: []string{"a"}, want: "a"},
		{items: []string{"a", "b"}, want: "a and b"},
		{items: []string{"a", "b", "c"}, want: "a, b and c"},
	}
	for _, tt := range tests {
		if got := clash.JoinAnd(tt.items); got != tt.want {
			t.Errorf("JoinAnd(%q) = %q, want %q", tt.items, got, tt.want)
		}
	}
}

func TestSharedHostMessages(t *testing.T) {
	holder := clash.Holder{Request: "DATA-4711", Execution: "X-1", Status: "SUCCEEDED"}
	rejection := clash.Rejection{RequestID: "XP-1", Route: request.RouteAWSPrivateLink, Account: "myorg-analytics",
		Holder: holder, Commands: testCommands, Retry: "send the request again"}
	tests := []struct {
		name         string
		mine, theirs string
		want         []string
	}{
		{
			name: "extra prefix on index host",
			mine: "$.repository.extra_allowed_prefixes[0]", theirs: request.IndexURLField,
			want: []string{
				"request XP-1 lists the host pypi.corp.example.com in $.repository.extra_allowed_prefixes[0]",
				"so request XP-1 would reach pypi.corp.example.com through the endpoint and proxy of request DATA-4711",
				"or remove pypi.corp.example.com from $.repository.extra_allowed_prefixes[0], and then send the request again",
			},
		},
		{
			name: "index host in extra prefix",
			mine: request.IndexURLField, theirs: "$.repository.extra_allowed_prefixes[2]",
			want: []string{
				"which request DATA-4711 lists in $.repository.extra_allowed_prefixes[2] in execution X-1",
				"so request DATA-4711 would reach pypi.corp.example.com through the endpoint and proxy of request XP-1",
				"or use another host name for this index in $.repository.index_url",
			},
		},
		{
			name: "two index hosts",
			mine: request.IndexURLField, theirs: request.IndexURLField,
			want: []string{rejection.Host("pypi.corp.example.com")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rejection.SharedHost("pypi.corp.example.com", tt.mine, tt.theirs)
			for _, want := range tt.want {
				if !strings.Contains(got, want) {
					t.Errorf("message does not contain %q:\n%s", want, got)
				}
			}
		})
	}
}
