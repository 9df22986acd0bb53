"""Has a syntax error."""
def app(environ, start_response)
    return []
