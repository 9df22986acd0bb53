package e2e

import (
	"io"
	"testing"
	"time"
)

// TestIterableClose checks PEP 3333's promise that the server calls close() on the app's
// iterable whenever it has one, however the response ends.
func TestIterableClose(t *testing.T) {
	t.Parallel()
	marks := t.TempDir()
	s := startServer(t, serverConfig{app: "stream_app:app", env: []string{"E2E_MARK_DIR=" + marks}})
	closed := func(name string, d time.Duration) bool {
		return waitFor(d, func() bool { return fileExists(marks + "/" + name) })
	}

	t.Run("after success", func(t *testing.T) {
		resp, body := s.get(t, "/hello?mark=ok")
		if resp.StatusCode != 200 || string(body) != "hello\n" {
			t.Fatalf("got %d %q", resp.StatusCode, body)
		}
		if !closed("ok", 5*time.Second) {
			t.Fatal("close() not called after a successful response")
		}
	})

	t.Run("after a generator response", func(t *testing.T) {
		resp, body := s.get(t, "/chunked?n=20&mark=gen")
		if resp.StatusCode != 200 || len(body) != 200 {
			t.Fatalf("got %d, %d bytes", resp.StatusCode, len(body))
		}
		if !closed("gen", 5*time.Second) {
			t.Fatal("close() not called after a generator response")
		}
	})

	t.Run("client disconnects mid-response", func(t *testing.T) {
		// 3000 x 64 KiB with 10 ms between pieces: 30 s and ~190 MiB if nobody stops it.
		c := dialRaw(t, s)
		c.send(get("/slow?n=3000&size=65536&delay=0.01&mark=gone"))
		c.c.SetReadDeadline(time.Now().Add(rawTimeout))
		if _, err := io.ReadFull(c.r, make([]byte, 256*1024)); err != nil {
			t.Fatalf("reading the start of the response: %v", err)
		}
		if fileExists(marks + "/gone") {
			t.Fatal("close() called before the response was over")
		}
		c.c.Close()
		start := time.Now()
		if !closed("gone", 15*time.Second) {
			t.Fatal("close() not called within 15 s of the client going away")
		}
		t.Logf("close() called %v after the disconnect", time.Since(start).Round(time.Millisecond))
	})
}
