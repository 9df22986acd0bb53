"""`app` is not callable: the server must refuse to start."""
app = 42
