"""The site's templates and static files (package data: templates/site/, static/site/), so pages
come from files rather than HTML and JavaScript in Python strings."""
from pathlib import Path

import jinja2


def templates():
    """The jinja2 environment of the package's templates (autoescaped HTML)."""
    return jinja2.Environment(loader=jinja2.PackageLoader("twolayer_tools", "templates"),
                              autoescape=jinja2.select_autoescape(("html",)),
                              keep_trailing_newline=True, undefined=jinja2.StrictUndefined)


def static_file(name):
    """The bytes of the package's static file `static/<name>`."""
    return (Path(__file__).parent / "static" / name).read_bytes()
