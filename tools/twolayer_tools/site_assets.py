"""The site's templates and static files (package data: templates/site/, static/site/), so pages
come from files rather than HTML and JavaScript in Python strings."""
from pathlib import Path

import jinja2


def templates(page=False, **filters):
    """The jinja2 environment of the package's templates, the only one: autoescaped HTML, an
    undefined name an error. `page`: a whole page, whose block tags leave no blank lines
    (trim_blocks, lstrip_blocks); `filters`: the page's own filters."""
    env = jinja2.Environment(loader=jinja2.PackageLoader("twolayer_tools", "templates"), autoescape=True,
                             keep_trailing_newline=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=page, lstrip_blocks=page)
    env.filters.update(filters)
    return env


def static_file(name):
    """The bytes of the package's static file `static/<name>`."""
    return (Path(__file__).parent / "static" / name).read_bytes()
