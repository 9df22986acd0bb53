package pytests

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"regexp"
	"strings"
	"testing"
)

// The wheel is a valid, complete binary wheel for the stable ABI: pip trusts its RECORD and
// WHEEL files, and the entry point is what PasteDeploy looks up.
func TestWheelContents(t *testing.T) {
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	if !regexp.MustCompile(`/waitress_go-[0-9.]+-cp39-abi3-linux_x86_64\.whl$`).MatchString(wheel) {
		t.Errorf("wheel name %s: want waitress_go-<version>-cp39-abi3-linux_x86_64.whl", wheel)
	}
	z, err := zip.OpenReader(wheel)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	files := map[string]*zip.File{}
	for _, f := range z.File {
		files[f.Name] = f
	}
	read := func(name string) string {
		f := files[name]
		if f == nil {
			t.Fatalf("wheel has no %s", name)
		}
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	var distInfo, data string
	for name := range files {
		if d, _, ok := strings.Cut(name, ".dist-info/"); ok {
			distInfo = d + ".dist-info"
		}
		if d, _, ok := strings.Cut(name, ".data/"); ok {
			data = d + ".data"
		}
	}
	for _, name := range []string{"waitress_go/__init__.py", "waitress_go/__main__.py", "waitress_go/_engine.abi3.so",
		data + "/scripts/waitress-serve"} {
		if files[name] == nil {
			t.Errorf("wheel has no %s", name)
		}
	}
	for _, exe := range []string{"waitress_go/_engine.abi3.so", data + "/scripts/waitress-serve"} {
		if f := files[exe]; f != nil && f.Mode().Perm()&0o111 == 0 {
			t.Errorf("%s is not executable (%v)", exe, f.Mode())
		}
	}
	wheelMeta := read(distInfo + "/WHEEL")
	for _, want := range []string{"Root-Is-Purelib: false", "Tag: cp39-abi3-linux_x86_64"} {
		if !strings.Contains(wheelMeta, want+"\n") {
			t.Errorf("WHEEL lacks %q:\n%s", want, wheelMeta)
		}
	}
	if ep := read(distInfo + "/entry_points.txt"); !strings.Contains(ep, "[paste.server_runner]\nmain = waitress_go:serve_paste\n") {
		t.Errorf("entry_points.txt:\n%s", ep)
	}
	if meta := read(distInfo + "/METADATA"); !strings.Contains(meta, "Name: waitress-go\n") || !strings.Contains(meta, "Requires-Python: >=3.9\n") {
		t.Errorf("METADATA:\n%s", meta)
	}
	// RECORD lists every other file with its sha256 and size.
	listed := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(read(distInfo+"/RECORD")), "\n") {
		parts := strings.Split(line, ",")
		if len(parts) != 3 {
			t.Fatalf("RECORD line %q", line)
		}
		listed[parts[0]] = true
		if parts[0] == distInfo+"/RECORD" {
			continue
		}
		sum := sha256.Sum256([]byte(read(parts[0])))
		if want := "sha256=" + base64.RawURLEncoding.EncodeToString(sum[:]); parts[1] != want {
			t.Errorf("RECORD %s: hash %s, file has %s", parts[0], parts[1], want)
		}
	}
	for name := range files {
		if !listed[name] {
			t.Errorf("RECORD does not list %s", name)
		}
	}
}
