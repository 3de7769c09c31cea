package reliability

import "testing"

func TestLineLabel(t *testing.T) {
	tests := []struct{ line, want string }{
		{"execution DATA-4711 (sandbox in /tmp/s/sandbox)", "execution line"},
		{"  load_balancer                       created   arn:aws:elasticloadbalancing:us-west-2:1:loadbalancer/net/a/1  3ms", "'load_balancer created'"},
		{"                                      created   arn:aws:elasticloadbalancing:us-west-2:1:listener/net/a/1/2", "'related created'"},
		{"                                      deleted   rl-data-4711-allow-psc", "'related deleted'"},
	}
	for _, tt := range tests {
		if got := lineLabel(tt.line); got != tt.want {
			t.Errorf("lineLabel(%q) = %q, want %q", tt.line, got, tt.want)
		}
	}
}
