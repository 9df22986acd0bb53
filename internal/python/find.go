package python

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Interpreter describes the Python installation to embed, as that interpreter reports itself.
type Interpreter struct {
	// Command is what was run to ask (the --python value, the venv's python, or python3).
	Command string
	// How tells how Command was chosen, for error messages.
	How string

	Executable  string   `json:"executable"`
	Version     string   `json:"version"`
	Hexversion  int64    `json:"hexversion"`
	Prefix      string   `json:"prefix"`
	ExecPrefix  string   `json:"exec_prefix"`
	BasePrefix  string   `json:"base_prefix"`
	Path        []string `json:"path"`
	LibDir      string   `json:"libdir"`
	LDLibrary   string   `json:"ldlibrary"`
	InstSOName  string   `json:"instsoname"`
	MultiArch   string   `json:"multiarch"`
	Shared      bool     `json:"shared"`
	Impl        string   `json:"impl"`
	GILDisabled bool     `json:"gil_disabled"`
}

// probe is run by the chosen interpreter to describe itself; stdlib only, one JSON line.
const probe = `import json, sys, sysconfig
v = sysconfig.get_config_var
print(json.dumps({
 "executable": sys.executable, "version": "%d.%d.%d" % sys.version_info[:3],
 "hexversion": sys.hexversion, "prefix": sys.prefix, "exec_prefix": sys.exec_prefix,
 "base_prefix": sys.base_prefix, "path": [p for p in sys.path if p],
 "libdir": v("LIBDIR") or "", "ldlibrary": v("LDLIBRARY") or "", "instsoname": v("INSTSONAME") or "",
 "multiarch": v("MULTIARCH") or "", "shared": bool(v("Py_ENABLE_SHARED")),
 "impl": sys.implementation.name, "gil_disabled": bool(v("Py_GIL_DISABLED")),
}))`

// Find chooses the interpreter the way waitress-serve users expect: explicit (--python), else
// the active virtualenv ($VIRTUAL_ENV), else python3 on PATH; then asks it to describe itself.
func Find(explicit string) (*Interpreter, error) {
	in := &Interpreter{}
	switch {
	case explicit != "":
		in.Command, in.How = explicit, "--python"
	case os.Getenv("VIRTUAL_ENV") != "":
		venv := os.Getenv("VIRTUAL_ENV")
		in.Command, in.How = venvPython(venv), "$VIRTUAL_ENV"
	case ownVenv() != "":
		// Installed into a venv (pip install of the wheel) and run as venv/bin/waitress-serve
		// without activating it: that venv's python is the one the user means.
		in.Command, in.How = venvPython(ownVenv()), "the virtualenv waitress-serve is installed in"
	default:
		in.Command, in.How = "python3", "python3 on PATH"
		if runtime.GOOS == "windows" {
			in.Command, in.How = "python", "python on PATH" // the installers make no python3.exe
		}
	}
	// A plain run (no -I): sys.path must be what the user's python sees, PYTHONPATH included.
	cmd := exec.Command(in.Command, "-c", probe)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("cannot run the Python interpreter %q (from %s): %v; "+
			"activate a virtualenv, pass --python=/path/to/python, or install python3", in.Command, in.How, unwrapExec(err))
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return nil, fmt.Errorf("the Python interpreter %q (from %s) failed to start: %v: %s",
				in.Command, in.How, err, startFailure(stderr.String()))
		}
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		return nil, fmt.Errorf("the Python interpreter %q (from %s) did not answer within 30s", in.Command, in.How)
	}
	if err := json.Unmarshal(out.Bytes(), in); err != nil {
		return nil, fmt.Errorf("the interpreter %q (from %s) is not a usable CPython: %v", in.Command, in.How, err)
	}
	if in.Impl != "cpython" {
		return nil, fmt.Errorf("the interpreter %q is %s %s; waitress-serve embeds CPython 3.9 or newer", in.Command, in.Impl, in.Version)
	}
	if in.Hexversion < 0x03090000 {
		return nil, fmt.Errorf("the interpreter %q is Python %s; waitress-serve needs CPython 3.9 or newer", in.Command, in.Version)
	}
	if in.GILDisabled {
		return nil, fmt.Errorf("the interpreter %q is a free-threaded build (%s), which has no stable ABI; use a regular CPython build", in.Command, in.Version)
	}
	return in, nil
}

// ownVenv returns the virtualenv this executable lives in (its bin/ or Scripts\ folder beside a
// pyvenv.cfg), or "".
func ownVenv() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	if r, err := filepath.EvalSymlinks(exe); err == nil {
		exe = r
	}
	venv := filepath.Dir(filepath.Dir(exe))
	if _, err := os.Stat(filepath.Join(venv, "pyvenv.cfg")); err != nil {
		return ""
	}
	if _, err := os.Stat(venvPython(venv)); err != nil {
		return ""
	}
	return venv
}

func venvPython(venv string) string {
	if runtime.GOOS == "windows" {
		return filepath.Join(venv, "Scripts", "python.exe")
	}
	p := filepath.Join(venv, "bin", "python")
	if _, err := os.Stat(p); err != nil {
		if _, err3 := os.Stat(p + "3"); err3 == nil {
			return p + "3"
		}
	}
	return p
}

// LibraryCandidates lists where this interpreter's shared libpython may be, most likely first.
// An interpreter built without a shared libpython has none: another build's library found on
// the system path would run this interpreter's site-packages on a different Python.
func (in *Interpreter) LibraryCandidates() []string {
	if !in.Shared && runtime.GOOS != "windows" {
		// Some builds (conda's, for one) link the interpreter statically but still ship a
		// libpython of the same build in their own lib directory: that one, and only that one.
		v := strings.SplitN(in.Version, ".", 3)
		if in.LibDir == "" || len(v) < 2 {
			return nil
		}
		var out []string
		for _, n := range []string{"libpython" + v[0] + "." + v[1] + ".so.1.0", "libpython" + v[0] + "." + v[1] + ".so"} {
			p := filepath.Join(in.LibDir, n)
			if _, err := os.Stat(p); err == nil {
				out = append(out, p)
			}
		}
		return out
	}
	var names []string
	for _, n := range []string{in.InstSOName, in.LDLibrary} {
		if n != "" && !strings.HasSuffix(n, ".a") {
			names = append(names, n)
		}
	}
	if runtime.GOOS == "windows" {
		v := strings.SplitN(in.Version, ".", 3)
		if len(v) >= 2 {
			names = append(names, "python"+v[0]+v[1]+".dll")
		}
	} else if len(names) == 0 {
		v := strings.SplitN(in.Version, ".", 3)
		if len(v) >= 2 {
			names = append(names, "libpython"+v[0]+"."+v[1]+".so.1.0", "libpython"+v[0]+"."+v[1]+".so")
		}
	}
	var dirs []string
	if in.LibDir != "" {
		dirs = append(dirs, in.LibDir)
		if in.MultiArch != "" {
			dirs = append(dirs, filepath.Join(in.LibDir, in.MultiArch))
		}
	}
	for _, p := range []string{in.BasePrefix, filepath.Dir(filepath.Dir(in.Executable))} {
		if p != "" {
			dirs = append(dirs, filepath.Join(p, "lib"))
			if runtime.GOOS == "windows" {
				dirs = append(dirs, p)
			}
		}
	}
	seen := map[string]bool{}
	var out []string
	for _, n := range names {
		for _, d := range dirs {
			p := filepath.Join(d, n)
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			out = append(out, n) // bare name: the system's library search path
		}
	}
	return out
}

// noSharedLibHint says how to get a shared libpython for this interpreter.
func (in *Interpreter) noSharedLibHint() string {
	v := strings.SplitN(in.Version, ".", 3)
	mm := in.Version
	if len(v) >= 2 {
		mm = v[0] + "." + v[1]
	}
	switch {
	case strings.HasPrefix(in.BasePrefix, "/usr") && !strings.HasPrefix(in.BasePrefix, "/usr/local"):
		return fmt.Sprintf("install the libpython%s package (Debian/Ubuntu: apt-get install libpython%s; Fedora: python3-libs)", mm, mm)
	case strings.Contains(in.BasePrefix, ".pyenv"):
		return "rebuild it with a shared library: PYTHON_CONFIGURE_OPTS=--enable-shared pyenv install " + in.Version
	default:
		return "use a Python built with --enable-shared, or run the server inside Python with `python -m waitress_go`"
	}
}

func unwrapExec(err error) error {
	var ee *exec.Error
	if errors.As(err, &ee) {
		return ee.Err
	}
	return err
}

// startFailure picks the lines that say why an interpreter failed to start ("Fatal Python
// error: ...", "ModuleNotFoundError: No module named 'encodings'") out of its stderr.
func startFailure(stderr string) string {
	var why []string
	for _, l := range strings.Split(stderr, "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "Fatal Python error:") || strings.HasSuffix(strings.SplitN(l, ":", 2)[0], "Error") {
			why = append(why, l)
		}
	}
	if len(why) == 0 {
		return lastLine(stderr)
	}
	msg := strings.Join(why, "; ")
	if strings.Contains(msg, "encodings") {
		msg += " (check PYTHONHOME and PYTHONPATH)"
	}
	return msg
}

// checkHome catches what would make the embedded start abort (Py_InitializeEx cannot report
// errors, it ends the process): a PYTHONHOME in our environment without the standard library.
// The probe may not have seen it, when the interpreter is a wrapper that cleans the environment.
func (in *Interpreter) checkHome() error {
	home := os.Getenv("PYTHONHOME")
	if home == "" {
		return nil
	}
	prefix, _, _ := strings.Cut(home, string(os.PathListSeparator))
	v := strings.SplitN(in.Version, ".", 3)
	if len(v) < 2 {
		return nil
	}
	lib := filepath.Join(prefix, "lib", "python"+v[0]+"."+v[1], "encodings")
	if runtime.GOOS == "windows" {
		lib = filepath.Join(prefix, "Lib", "encodings")
	}
	if _, err := os.Stat(lib); err != nil {
		return &LoadError{fmt.Sprintf("PYTHONHOME=%s has no standard library (%s is missing), so Python %s cannot start: "+
			"unset PYTHONHOME or point it at the interpreter's prefix (%s)", home, lib, in.Version, in.BasePrefix)}
	}
	return nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
