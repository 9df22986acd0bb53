// Package http1 is waitress-go's HTTP/1.x wire format: a strict, allocation-free request-head
// parser, an incremental chunked-body decoder and a response-head writer.
//
// It does no I/O and makes no policy about connections; the server package reads bytes, hands
// them here and acts on the results. Acceptance follows Waitress 3 (parser.py, receiver.py,
// task.py): whatever Waitress refuses is refused with the same status and message. Where
// Waitress is lenient but RFC 9112 says a message is invalid or its framing unreliable, this
// package refuses it too (400 unless noted), for example obs-fold, bare CR or LF line ends,
// Transfer-Encoding on HTTP/1.0, Transfer-Encoding together with Content-Length, a missing or
// repeated Host on HTTP/1.1, and control characters in the request-target.
package http1
