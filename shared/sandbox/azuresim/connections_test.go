package azuresim

import "testing"

func TestCheckTransition(t *testing.T) {
	tests := []struct {
		from, to string
		wantErr  bool
	}{
		{statusPending, statusApproved, false},
		{statusPending, "approved", false},
		{statusPending, statusRejected, false},
		{statusApproved, statusApproved, false},
		{statusApproved, statusRejected, false},
		{statusRejected, statusApproved, true},
		{statusDisconnected, statusApproved, true},
		{statusPending, "Accepted", true},
	}
	for _, tt := range tests {
		err := checkTransition(tt.from, tt.to)
		if (err != nil) != tt.wantErr {
			t.Errorf("checkTransition(%s, %s) error = %v, want error %v", tt.from, tt.to, err, tt.wantErr)
		}
	}
}
