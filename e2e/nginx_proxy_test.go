package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
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

// TestNginxTLSProxyTCPAndUnix puts a real nginx, terminating TLS, in front of the server over
// TCP (--trusted-proxy=127.0.0.1) and over a unix socket (--trusted-proxy=localhost). The app
// sees the client's own address, https and the public host and port; a forged
// X-Forwarded-For sent through nginx is only an earlier hop; a client that bypasses nginx
// cannot spoof anything.
func TestNginxTLSProxyTCPAndUnix(t *testing.T) {
	t.Parallel()
	nginx := nginxBinary(t)
	headers := "--trusted-proxy-headers=x-forwarded-for x-forwarded-proto x-forwarded-host x-forwarded-port"
	tcp := startServer(t, serverConfig{app: "ops_app:app", args: []string{"--trusted-proxy=127.0.0.1", headers}})
	sock := filepath.Join(t.TempDir(), "app.sock")
	launch(t, "ops_app:app", []string{"--unix-socket=" + sock, "--trusted-proxy=localhost", headers}).
		waitLog(t, servingAnyRE, 1, 30*time.Second)

	proxyAddr := startTLSNginx(t, nginx, map[string]string{
		"/tcp/":  "http://" + tcp.addr,
		"/unix/": "http://unix:" + sock + ":",
	})
	_, proxyPort, _ := net.SplitHostPort(proxyAddr)

	// The client connects from 127.0.0.3, so its address differs from nginx's (127.0.0.1).
	client := &http.Client{Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true},
		DialContext:       (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 3)}}).DialContext,
		DisableKeepAlives: true,
	}}
	for _, via := range []string{"tcp", "unix"} {
		for _, forged := range []string{"", "6.6.6.6"} {
			req, _ := http.NewRequest("GET", "https://"+proxyAddr+"/"+via+"/env", nil)
			req.Host = "public.example"
			if forged != "" {
				req.Header.Set("X-Forwarded-For", forged)
				req.Header.Set("X-Forwarded-Proto", "http")
			}
			env := getEnv(t, client, req)
			want := map[string]any{
				"REMOTE_ADDR":     "127.0.0.3",
				"wsgi.url_scheme": "https",
				"SERVER_NAME":     "public.example",
				"SERVER_PORT":     proxyPort,
				"HTTP_HOST":       "public.example:" + proxyPort,
				"PATH_INFO":       "/" + via + "/env",
			}
			for k, w := range want {
				if env[k] != w {
					t.Errorf("via nginx over %s (forged %q): %s = %#v, want %#v", via, forged, k, env[k], w)
				}
			}
		}
	}

	// Straight to the server from 127.0.0.5, an address it does not trust.
	direct := &http.Client{Transport: &http.Transport{
		DialContext:       (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 5)}}).DialContext,
		DisableKeepAlives: true,
	}}
	req, _ := http.NewRequest("GET", "http://"+tcp.addr+"/env", nil)
	for k, v := range map[string]string{"X-Forwarded-For": "6.6.6.6", "X-Forwarded-Proto": "https",
		"X-Forwarded-Host": "evil.example", "X-Forwarded-Port": "443", "Forwarded": "for=6.6.6.6;proto=https"} {
		req.Header.Set(k, v)
	}
	env := getEnv(t, direct, req)
	want := map[string]any{
		"REMOTE_ADDR": "127.0.0.5", "wsgi.url_scheme": "http", "HTTP_HOST": tcp.addr, "SERVER_PORT": tcp.port,
		"HTTP_X_FORWARDED_FOR": nil, "HTTP_X_FORWARDED_PROTO": nil, "HTTP_X_FORWARDED_HOST": nil,
		"HTTP_X_FORWARDED_PORT": nil, "HTTP_FORWARDED": nil,
	}
	for k, w := range want {
		if env[k] != w {
			t.Errorf("direct with forged headers: %s = %#v, want %#v", k, env[k], w)
		}
	}
}

func getEnv(t *testing.T, c *http.Client, req *http.Request) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := c.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatalf("%s: %v", req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var env map[string]any
	if resp.StatusCode != 200 || json.Unmarshal(body, &env) != nil {
		t.Fatalf("%s: %d %q", req.URL, resp.StatusCode, body)
	}
	return env
}

// nginxBinary finds nginx, skipping the test without it (failing under CI, where
// scripts/test.sh installs it).
func nginxBinary(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("nginx"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
		return "/usr/sbin/nginx"
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("nginx not installed (scripts/test.sh installs it)")
	}
	t.Skip("nginx not installed (scripts/test.sh installs it)")
	return ""
}

// startTLSNginx runs nginx in the foreground (one process) on a loopback port with a fresh
// self-signed certificate, proxying each location prefix to its upstream with the usual
// X-Forwarded-* headers, and returns its address.
func startTLSNginx(t *testing.T, bin string, upstreams map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	writeSelfSigned(t, filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	var locs strings.Builder
	for prefix, up := range upstreams {
		fmt.Fprintf(&locs, `
        location %s {
            proxy_pass %s;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $host;
            proxy_set_header X-Forwarded-Port $server_port;
        }`, prefix, up)
	}
	conf := fmt.Sprintf(`daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    server {
        listen %[2]s ssl;
        ssl_certificate %[1]s/cert.pem;
        ssl_certificate_key %[1]s/key.pem;
        %[3]s
    }
}
`, dir, addr, locs.String())
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-p", dir, "-c", confPath, "-e", filepath.Join(dir, "error.log"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start nginx: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Logf("nginx output:\n%s\nerror.log:\n%s", out.String(), log)
		}
	})
	if !waitFor(10*time.Second, func() bool {
		select {
		case <-done:
			return true
		default:
		}
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	}) {
		t.Fatalf("nginx did not listen on %s", addr)
	}
	select {
	case <-done:
		log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		t.Fatalf("nginx exited: %s\n%s", out.String(), log)
	default:
	}
	return addr
}

func writeSelfSigned(t *testing.T, certPath, keyPath string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "public.example"},
		DNSNames:     []string{"public.example"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
}
