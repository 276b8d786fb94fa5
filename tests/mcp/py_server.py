"""A real MCP server on the official Python SDK (`mcp`, FastMCP) with one
tool, `write_file`, that writes where it is told. Its stdio transport reads
stdin through `TextIOWrapper`, which ends a line at a carriage return as
well as at a newline — the framing the proxy must not let differ from its
own (tests/mcp/test_proxy.py)."""

from pathlib import Path

from mcp.server.fastmcp import FastMCP

app = FastMCP("pywrite")


@app.tool()
def write_file(path: str, content: str) -> str:
    """Writes `content` to `path`."""
    Path(path).write_text(content)
    return f"wrote {path}"


if __name__ == "__main__":
    app.run("stdio")
