package options

import (
	"errors"
	"fmt"
	"strings"
)

// ErrHelp is returned by ParseArgs when --help was given; the caller should
// print Help and exit successfully.
var ErrHelp = errors.New("help requested")

// cliFlag is one accepted long option (without the leading "--").
type cliFlag struct {
	name  string
	sp    *spec
	value string // for switches: the value given to sp.set ("true"/"false")
	help  bool   // --help
}

// cliFlags lists every long option in the order Waitress's getopt table
// would, including the --no- forms of switches.
func cliFlags() []cliFlag {
	flags := []cliFlag{{name: "help", help: true}}
	for i := range specs {
		sp := &specs[i]
		if !sp.cli {
			continue
		}
		name := strings.ReplaceAll(sp.name, "_", "-")
		switch sp.kind {
		case kindValue:
			flags = append(flags, cliFlag{name: name, sp: sp})
		case kindFlag:
			flags = append(flags, cliFlag{name: name, sp: sp, value: "true"})
		case kindBool:
			flags = append(flags,
				cliFlag{name: name, sp: sp, value: "true"},
				cliFlag{name: "no-" + name, sp: sp, value: "false"})
		}
	}
	return flags
}

// matchFlag finds the flag for name as Python's getopt does: an exact name,
// or else an unambiguous prefix of one.
func matchFlag(flags []cliFlag, name string) (*cliFlag, error) {
	var matches []*cliFlag
	for i := range flags {
		if flags[i].name == name {
			return &flags[i], nil
		}
		if strings.HasPrefix(flags[i].name, name) {
			matches = append(matches, &flags[i])
		}
	}
	switch len(matches) {
	case 0:
		return nil, fmt.Errorf("unknown option --%s (see --help)", name)
	case 1:
		return matches[0], nil
	}
	names := make([]string, len(matches))
	for i, m := range matches {
		names[i] = "--" + m.name
	}
	return nil, fmt.Errorf("option --%s is ambiguous: could be %s", name, strings.Join(names, ", "))
}

// ParseArgs parses waitress-serve's command line (without the program
// name), as Waitress's runner does: long options only, "--flag=value" or
// "--flag value", "--flag"/"--no-flag" for switches, unambiguous prefixes
// of option names, options before the one MODULE:OBJECT argument (or
// --app), "--" ending the options. --listen may be repeated; for any other
// option the last one wins. The result is validated and its Addrs resolved.
// Errors are one line and name the offending flag; --help gives ErrHelp.
func ParseArgs(args []string) (Options, error) {
	o := Default()
	flags := cliFlags()
	var listen []string
	listenGiven := false
	i := 0
	for ; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			i++
			break
		}
		if !strings.HasPrefix(arg, "-") || arg == "-" {
			break
		}
		if !strings.HasPrefix(arg, "--") {
			return o, fmt.Errorf("unknown option %s: options are long, like --threads=8 (see --help)", arg)
		}
		name, value, hasValue := strings.Cut(arg[2:], "=")
		f, err := matchFlag(flags, name)
		if err != nil {
			return o, err
		}
		flag := "--" + f.name
		if f.help {
			if hasValue {
				return o, fmt.Errorf("%s takes no value", flag)
			}
			return o, ErrHelp
		}
		if f.sp.kind != kindValue {
			if hasValue {
				if f.sp.kind == kindBool {
					return o, fmt.Errorf("%s takes no value; use --%s or --no-%s", flag,
						strings.ReplaceAll(f.sp.name, "_", "-"), strings.ReplaceAll(f.sp.name, "_", "-"))
				}
				return o, fmt.Errorf("%s takes no value", flag)
			}
			value = f.value
		} else if !hasValue {
			if i+1 >= len(args) {
				return o, fmt.Errorf("%s needs a value, e.g. %s=%s", flag, flag, f.sp.metavar)
			}
			i++
			value = args[i]
		}
		if f.sp.name == "listen" {
			// Repeated --listen flags add up, as in Waitress.
			listen = append(listen, value)
			listenGiven = true
			continue
		}
		if err := f.sp.set(&o, value); err != nil {
			return o, &ValueError{Option: flag, Value: value, Reason: err.Error()}
		}
	}
	if listenGiven {
		if err := lookupSpec("listen").set(&o, strings.Join(listen, " ")); err != nil {
			return o, &ValueError{Option: "--listen", Value: strings.Join(listen, " "), Reason: err.Error()}
		}
	}

	rest := args[i:]
	switch {
	case len(rest) > 1:
		for _, r := range rest[1:] {
			if strings.HasPrefix(r, "--") {
				return o, fmt.Errorf("option %s comes after the application %s; put options before MODULE:OBJECT", r, rest[0])
			}
		}
		return o, fmt.Errorf("Specify one application only; got %s", strings.Join(rest, " "))
	case len(rest) == 1 && o.App != "":
		return o, fmt.Errorf("Specify one application only; got --app=%s and %s", o.App, rest[0])
	case len(rest) == 1 && strings.TrimSpace(rest[0]) == "":
		return o, errors.New("the application argument is empty; give MODULE:OBJECT")
	case len(rest) == 1:
		o.App = rest[0]
	case o.App == "":
		return o, errors.New("Specify one application only: give it as MODULE:OBJECT")
	}
	if err := o.validate(flagName); err != nil {
		return o, err
	}
	return o, nil
}
