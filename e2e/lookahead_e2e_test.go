package e2e

import (
	"testing"
	"time"
)

// TestChannelRequestLookahead: a client pipelines a request behind a long one and hangs up.
// With --channel-request-lookahead the server reads past the queued request, sees the close,
// and waitress.client_disconnected() turns True for the running one; without it the unread
// request hides the close (Waitress's documented limitation).
func TestChannelRequestLookahead(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"lookahead 2", []string{"--channel-request-lookahead=2"}, "True"},
		{"default 0", nil, "False"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			marks, markEnv := markDir(t)
			s := startServer(t, serverConfig{app: "ops_app:app", args: tc.args, env: []string{markEnv}})
			c := dialRaw(t, s)
			c.send(get("/disconnected?t=1.5"))
			time.Sleep(300 * time.Millisecond) // the app is running; the server is not reading
			c.send(get("/queued"))
			time.Sleep(100 * time.Millisecond)
			start := time.Now()
			c.c.Close()
			if !waitFor(10*time.Second, func() bool { return readMark(marks, "disconnected") != "" }) {
				t.Fatal("the app never reported")
			}
			if got := readMark(marks, "disconnected"); got != tc.want {
				t.Fatalf("client_disconnected() = %s, want %s", got, tc.want)
			}
			if tc.want == "True" && time.Since(start) > time.Second {
				t.Fatalf("the close was noticed only after %v", time.Since(start))
			}
		})
	}
}
