module github.com/waitress-go/waitress-go

go 1.26
