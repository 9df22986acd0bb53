package http1

// waitressHeads are Waitress 3 build_response_header results (task.py), recorded by running
// Waitress itself with start_time 0, for the inputs beside them.
var waitressHeads = []struct {
	minor           int
	reqConn, status string
	headers         [][2]string
	cl              int64 // -1: Task.content_length is None
	preClose        bool
	ident, raw      string
	chunked, close  bool
}{
	{1, "", "200 OK", [][2]string{{"content-type", "text/plain"}, {"content-length", "5"}}, -1, false, "waitress",
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\nServer: waitress\r\n\r\n", false, false},
	{1, "", "200 OK", [][2]string{{"Content-Type", "text/plain"}}, -1, false, "waitress",
		"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/plain\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\nServer: waitress\r\nTransfer-Encoding: chunked\r\n\r\n", true, true},
	{1, "", "200 OK", [][2]string{{"Content-Type", "text/plain"}}, 12, false, "waitress",
		"HTTP/1.1 200 OK\r\nContent-Length: 12\r\nContent-Type: text/plain\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\nServer: waitress\r\n\r\n", false, false},
	{1, "close", "200 OK", [][2]string{{"Content-Length", "5"}}, -1, false, "waitress",
		"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 5\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\nServer: waitress\r\n\r\n", false, true},
	{1, "Keep-Alive", "200 OK", [][2]string{{"Content-Length", "5"}}, -1, false, "waitress",
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\nServer: waitress\r\n\r\n", false, false},
	{0, "", "200 OK", [][2]string{{"Content-Length", "5"}}, -1, false, "waitress",
		"HTTP/1.0 200 OK\r\nConnection: close\r\nContent-Length: 5\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\nServer: waitress\r\n\r\n", false, true},
	{0, "keep-alive", "200 OK", [][2]string{{"Content-Length", "5"}}, -1, false, "waitress",
		"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 5\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\nServer: waitress\r\n\r\n", false, false},
	{0, "keep-alive", "200 OK", [][2]string{{"X-Foo", "1"}}, -1, false, "waitress",
		"HTTP/1.0 200 OK\r\nConnection: close\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\nServer: waitress\r\nX-Foo: 1\r\n\r\n", false, true},
	{0, "keep-alive", "200 OK", [][2]string{{"X-Foo", "1"}}, 3, false, "waitress",
		"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 3\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\nServer: waitress\r\nX-Foo: 1\r\n\r\n", false, false},
	{0, "", "200 OK", [][2]string{}, -1, false, "waitress",
		"HTTP/1.0 200 OK\r\nConnection: close\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\nServer: waitress\r\n\r\n", false, true},
	{1, "", "204 No Content", [][2]string{{"Content-Length", "0"}}, -1, false, "waitress",
		"HTTP/1.1 204 No Content\r\nConnection: close\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\nServer: waitress\r\n\r\n", false, true},
	{1, "", "304 Not Modified", [][2]string{{"ETag", "x"}}, 10, false, "waitress",
		"HTTP/1.1 304 Not Modified\r\nConnection: close\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\nEtag: x\r\nServer: waitress\r\n\r\n", false, true},
	{1, "", "101 Switching", [][2]string{}, -1, false, "waitress",
		"HTTP/1.1 101 Switching\r\nConnection: close\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\nServer: waitress\r\n\r\n", false, true},
	{1, "", "200 OK", [][2]string{{"server", "gunicorn"}, {"Content-Length", "1"}}, -1, false, "waitress",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\nServer: gunicorn\r\nVia: waitress\r\n\r\n", false, false},
	{1, "", "200 OK", [][2]string{{"Server", "x"}, {"Content-Length", "1"}}, -1, false, "",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\nServer: x\r\nVia: waitress\r\n\r\n", false, false},
	{1, "", "200 OK", [][2]string{{"Content-Length", "1"}}, -1, false, "",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\n\r\n", false, false},
	{1, "", "200 OK", [][2]string{{"date", "Mon, 01 Jan 2001 00:00:00 GMT"}, {"Content-Length", "1"}}, -1, false, "waitress",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nDate: Mon, 01 Jan 2001 00:00:00 GMT\r\nServer: waitress\r\n\r\n", false, false},
	{1, "", "200 OK", [][2]string{{"Date", ""}, {"Content-Length", "1"}}, -1, false, "waitress",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nDate: \r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\nServer: waitress\r\n\r\n", false, false},
	{1, "", "200 OK", [][2]string{{"Content-Length", ""}}, -1, false, "waitress",
		"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: \r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\nServer: waitress\r\nTransfer-Encoding: chunked\r\n\r\n", true, true},
	{1, "", "404 Custom Reason", [][2]string{{"x-b", "2"}, {"X-A", "1"}, {"x-b", "1"}, {"set-cookie", "a=1"}, {"Set-Cookie", "b=2"}, {"WWW-AUTHENTICATE", "x"}, {"Content-Length", "0"}}, -1, false, "waitress",
		"HTTP/1.1 404 Custom Reason\r\nContent-Length: 0\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\nServer: waitress\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nWww-Authenticate: x\r\nX-A: 1\r\nX-B: 2\r\nX-B: 1\r\n\r\n", false, false},
	{1, "", "400 Bad Request", [][2]string{{"Content-Type", "text/plain; charset=utf-8"}}, 10, true, "waitress",
		"HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 10\r\nContent-Type: text/plain; charset=utf-8\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\nServer: waitress\r\n\r\n", false, true},
	{0, "keep-alive", "500 Internal Server Error", [][2]string{{"Content-Type", "text/plain; charset=utf-8"}}, 10, true, "waitress",
		"HTTP/1.0 500 Internal Server Error\r\nConnection: close\r\nConnection: Keep-Alive\r\nContent-Length: 10\r\nContent-Type: text/plain; charset=utf-8\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\nServer: waitress\r\n\r\n", false, true},
	{1, "", "200 OK", [][2]string{{"x_under-score", "1"}, {"Content-Length", "2"}}, -1, false, "waitress",
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\nServer: waitress\r\nX_under-Score: 1\r\n\r\n", false, false},
}
