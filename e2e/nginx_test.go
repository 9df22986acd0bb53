package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestBehindNginx runs the usual production set-up: nginx in front, forwarding X-Forwarded-*
// headers, and the server trusting them from 127.0.0.1. The app must see the client's view:
// scheme, host, port and address as nginx reports them.
func TestBehindNginx(t *testing.T) {
	t.Parallel()
	nginxBin := nginxBinary(t)
	s := startServer(t, serverConfig{app: "environ_app:app", args: []string{
		"--trusted-proxy=127.0.0.1",
		"--trusted-proxy-headers=x-forwarded-for x-forwarded-proto x-forwarded-host x-forwarded-port",
		"--clear-untrusted-proxy-headers",
	}})
	proxy := startNginx(t, nginxBin, s.addr)

	req, _ := http.NewRequest("GET", "http://"+proxy+"/via/nginx?x=1", nil)
	req.Host = "public.example:8443"
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || resp.StatusCode != 200 {
		t.Fatalf("status %d, %v", resp.StatusCode, err)
	}
	want := map[string]any{
		"wsgi.url_scheme": "https",
		"HTTP_HOST":       "public.example:8443",
		"SERVER_NAME":     "public.example",
		"SERVER_PORT":     "8443",
		"REMOTE_ADDR":     "198.51.100.23", // trusted_proxy_count 1: the last X-Forwarded-For hop
		"PATH_INFO":       "/via/nginx",
		"QUERY_STRING":    "x=1",
	}
	for k, w := range want {
		if env[k] != w {
			t.Errorf("%s = %#v, want %#v", k, env[k], w)
		}
	}
	// Like Waitress: trusted proxy headers stay in the environ (X-Forwarded-For rewritten to
	// the hop used), an untrusted proxy header (Forwarded) is cleared, other headers pass.
	want = map[string]any{
		"HTTP_X_FORWARDED_FOR":   "198.51.100.23",
		"HTTP_X_FORWARDED_PROTO": "https",
		"HTTP_X_FORWARDED_HOST":  "public.example:8443",
		"HTTP_X_FORWARDED_PORT":  "8443",
		"HTTP_X_EXTRA":           "passed",
	}
	for k, w := range want {
		if env[k] != w {
			t.Errorf("%s = %#v, want %#v", k, env[k], w)
		}
	}
	if v, ok := env["HTTP_FORWARDED"]; ok {
		t.Errorf("untrusted proxy header Forwarded = %#v reached the app despite --clear-untrusted-proxy-headers", v)
	}
}

// startNginx runs nginx in the foreground as a reverse proxy to upstream and returns its
// address. It forwards the client's Host and sets X-Forwarded-Proto https and a fixed client
// chain in X-Forwarded-For, as a TLS-terminating proxy at the edge would.
func startNginx(t *testing.T, bin, upstream string) string {
	t.Helper()
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;" // workers must reach the test's temporary directory
	}
	conf := fmt.Sprintf(`%s
worker_processes 1;
daemon off;
pid %[2]s/nginx.pid;
error_log stderr warn;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path %[2]s/body;
    proxy_temp_path %[2]s/proxy;
    fastcgi_temp_path %[2]s/fastcgi;
    uwsgi_temp_path %[2]s/uwsgi;
    scgi_temp_path %[2]s/scgi;
    server {
        listen %[3]s;
        location / {
            proxy_pass http://%[4]s;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For "192.0.2.1, 198.51.100.23";
            proxy_set_header X-Forwarded-Proto https;
            proxy_set_header X-Forwarded-Host $http_host;
            proxy_set_header X-Forwarded-Port 8443;
            proxy_set_header X-Extra passed;
            proxy_set_header Forwarded "for=198.51.100.1;proto=http";
        }
    }
}
`, user, dir, addr, upstream)
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-p", dir, "-c", confPath, "-e", "stderr")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start nginx: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("nginx output:\n%s", out.String())
		}
	})
	if !waitFor(10*time.Second, func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	}) {
		t.Fatalf("nginx did not listen on %s:\n%s", addr, out.String())
	}
	if strings.Contains(out.String(), "[emerg]") {
		t.Fatalf("nginx: %s", out.String())
	}
	return addr
}
