// Command gohello is the plain net/http baseline for the benchmark: it
// answers "/" with a fixed hello-world body and "/file" with http.ServeFile,
// so bench.py can compare our server against Go without Python in the way.
package main

import (
	"flag"
	"log"
	"net/http"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	file := flag.String("file", "", "file served at /file")
	flag.Parse()

	hello := []byte("Hello, World!\n")
	mux := http.NewServeMux()
	mux.HandleFunc("/file", func(w http.ResponseWriter, r *http.Request) {
		if *file == "" {
			http.NotFound(w, r)
			return
		}
		http.ServeFile(w, r, *file)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write(hello)
	})
	log.Fatal(http.ListenAndServe(*addr, mux))
}
