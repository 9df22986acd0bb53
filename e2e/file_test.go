package e2e

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"net/url"
	"os"
	"path/filepath"
	"testing"
)

func TestFileWrapper(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverConfig{app: "file_app:app"})
	data := make([]byte, 5<<20+123) // 5 MiB and an odd tail
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "payload.bin")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	target := "/?path=" + url.QueryEscape(path)

	t.Run("net/http", func(t *testing.T) {
		resp, body := s.get(t, target)
		if resp.StatusCode != 200 || resp.ContentLength != int64(len(data)) {
			t.Fatalf("status %d, Content-Length %d", resp.StatusCode, resp.ContentLength)
		}
		if sha256.Sum256(body) != sha256.Sum256(data) {
			t.Fatalf("body differs from the file (%d bytes, want %d)", len(body), len(data))
		}
	})

	t.Run("twice on one connection", func(t *testing.T) {
		c := dialRaw(t, s)
		for i := 0; i < 2; i++ {
			c.send(get(target))
			r := c.mustRead("GET")
			if r.Code != 200 || !bytes.Equal(r.Body, data) {
				t.Fatalf("request %d: status %d, %d bytes, equal=%v", i, r.Code, len(r.Body), bytes.Equal(r.Body, data))
			}
		}
	})
}
