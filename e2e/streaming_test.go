package e2e

import (
	"bufio"
	"strings"
	"testing"
	"time"
)

// TestStreamingGenerator: a generator that pauses between chunks (server-sent events, progress
// output) has each chunk delivered while it works on the next, as Waitress, gunicorn and uWSGI
// do, not held back until the response is complete.
func TestStreamingGenerator(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverConfig{app: "stream_app:app"})
	c := dialRaw(t, s)
	start := time.Now()
	// Three 10-byte pieces, each produced after a 0.6 s pause: 1.8 s in all.
	c.send(get("/chunked?n=3&size=10&delay=0.6"))
	br := bufio.NewReader(c.c)
	c.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var got strings.Builder
	for !strings.Contains(got.String(), "0:") {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the response: %v (so far %q)", err, got.String())
		}
		got.WriteString(line)
	}
	if d := time.Since(start); d > 1200*time.Millisecond {
		t.Fatalf("first piece arrived after %v; it was ready after 0.6 s and must not wait for the rest (1.8 s)", d)
	}
}
