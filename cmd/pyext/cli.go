//go:build unix

package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/waitress-go/waitress-go/internal/options"
	"github.com/waitress-go/waitress-go/internal/python"
	"github.com/waitress-go/waitress-go/internal/wsgi"
)

// cliMain(prog, args) is waitress-serve in this process, for python -m waitress_go: same
// flags, messages and exit statuses, with the app imported by this interpreter. It returns
// the exit status; Ctrl-C drains and returns 0 with KeyboardInterrupt raised (the caller
// swallows it).
func cliMain(c *python.ExtCall, args []any) (any, error) {
	if len(args) != 2 {
		return nil, &python.Exception{Type: "TypeError", Msg: "main(prog, args) takes 2 arguments"}
	}
	name, _ := args[0].(string)
	list, _ := args[1].([]any)
	argv := make([]string, 0, len(list))
	for _, a := range list {
		s, ok := a.(string)
		if !ok {
			return nil, &python.Exception{Type: "TypeError", Msg: "arguments must be str"}
		}
		argv = append(argv, s)
	}
	opts, err := options.ParseArgs(argv)
	if errors.Is(err, options.ErrHelp) {
		fmt.Print(options.Help(name))
		return 0, nil
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: error: %v (see %s --help)\n", name, err, name)
		return 2, nil
	}
	for _, w := range opts.Warnings {
		fmt.Fprintf(os.Stderr, "%s: warning: %s\n", name, w)
	}
	if opts.Python != "" {
		fmt.Fprintf(os.Stderr, "%s: warning: --python is ignored: the application runs in this interpreter\n", name)
	}
	if err := wsgi.SetupCLILogging(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: error: setting up logging: %v\n", name, err)
		return 1, nil
	}
	app, err := wsgi.Load(opts.App, opts.Call)
	if err != nil {
		fmt.Fprintf(os.Stderr, "Error: %v\n", err)
		return 1, nil
	}
	if err := wsgi.BasicConfig(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: error: setting up logging: %v\n", name, err)
		return 1, nil
	}
	var inst *instance
	c.WithoutGIL(func() { inst, err = start(app, opts) })
	if err != nil {
		msg := err.Error()
		var e *python.Exception
		if errors.As(err, &e) {
			msg = e.Msg
		}
		fmt.Fprintf(os.Stderr, "%s: error: %s\n", name, msg)
		return 1, nil
	}
	for _, u := range inst.srv.URLs() {
		inst.logger.Log("waitress", slog.LevelInfo, "Serving on "+u)
	}
	inst.state = running
	return inst.serve(c), nil
}
