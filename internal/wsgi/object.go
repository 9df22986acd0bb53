package wsgi

import "github.com/waitress-go/waitress-go/internal/python"

// FromObject makes an App of an application object the caller already holds (a function,
// a closure, an instance with __call__...), for serve(app) from Python. The GIL must be held:
// it is called from an extension function of the attached engine.
func FromObject(o *python.Object) (*App, error) {
	app, err := python.AppFromObject(o)
	if err != nil {
		return nil, err
	}
	return &App{py: app}, nil
}

// Release drops the interpreter's objects the App holds, the application among them, for a
// process that makes and stops servers repeatedly (create_server). Only once the pool that ran
// it has shut down completely (Pool.Shutdown returned true).
func (a *App) Release() {
	_ = python.WithGIL(func() error {
		a.py.Release()
		return nil
	})
}
