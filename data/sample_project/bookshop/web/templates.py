"""Minimal templating: one escaped helper and one unescaped shortcut."""

import html

TEMPLATES = {
    "results.html": "<h1>Results for {query}</h1><ul>{items}</ul>",
}


def escape(value):
    return html.escape(str(value), quote=True)


def render(name, **context):
    template = TEMPLATES[name]
    items = "".join(f"<li>{escape(row[0])}</li>" for row in context.pop("rows", []))
    return template.format(items=items, **context)  # query is not escaped
