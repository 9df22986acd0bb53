package options

import (
	"strings"
)

const helpWidth = 78

// Help returns the --help text for the program called name: usage, then
// every command-line option grouped by purpose, each with its default.
func Help(name string) string {
	var b strings.Builder
	b.WriteString("Usage:\n\n    " + name + " [OPTIONS] MODULE:OBJECT\n\n")
	wrap(&b, "", "Serve the WSGI application OBJECT from Python module MODULE (for example myapp:app, or myapp:create_app with --call). Options come before MODULE:OBJECT and may be written --name=VALUE or --name VALUE; switches have a --no- form to turn them off.")
	b.WriteString("\n    --help\n")
	wrap(&b, "        ", "Show this help and exit.")

	sections := []string{secApp, secListen, secServer, secTuning, secProxy, secLogging}
	for _, sec := range sections {
		b.WriteString("\n" + sec + ":\n")
		for _, sp := range specs {
			if !sp.cli || sp.section != sec {
				continue
			}
			flag := strings.ReplaceAll(sp.name, "_", "-")
			switch sp.kind {
			case kindValue:
				b.WriteString("\n    --" + flag + "=" + sp.metavar + "\n")
			case kindFlag:
				b.WriteString("\n    --" + flag + "\n")
			case kindBool:
				b.WriteString("\n    --[no-]" + flag + "\n")
			}
			wrap(&b, "        ", sp.help)
		}
	}
	return b.String()
}

// wrap writes text as lines of at most helpWidth columns, each starting
// with indent.
func wrap(b *strings.Builder, indent, text string) {
	line := indent
	for _, w := range strings.Fields(text) {
		if len(line) > len(indent) && len(line)+1+len(w) > helpWidth {
			b.WriteString(line + "\n")
			line = indent
		}
		if len(line) > len(indent) {
			line += " "
		}
		line += w
	}
	if len(line) > len(indent) {
		b.WriteString(line + "\n")
	}
}
