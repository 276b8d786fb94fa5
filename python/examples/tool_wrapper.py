"""Gating an agent framework's function tools with permit0.

Agent frameworks (OpenAI Agents SDK, LangChain, PydanticAI, …) call plain
Python functions as tools. `permit0_tool` wraps one so that every call is
decided first, as the raw tool call `{"tool": name, "args": {…}}` that the
stdlib's tool mappings turn into a canonical action (`run_command` is
`process.exec`, whose command the shell classifier reads). Apply it under
the framework's own decorator:

    @function_tool          # the framework's
    @permit0_tool
    def run_command(command: str) -> str: ...

    PERMIT0_BUNDLE=refunds.p0b PERMIT0_TRUSTED=ops.pub python python/examples/tool_wrapper.py
"""

import functools
import inspect
import subprocess

import permit0
from permit0 import permit


def permit0_tool(fn=None, *, name=None):
    """Decides each call of the tool before it runs; raises `permit0.Denied`
    or `permit0.EscalationRequired` (which frameworks report back to the
    model as the tool's error) unless the policy allows it."""

    def wrap(f):
        tool_name = name or f.__name__
        sig = inspect.signature(f)

        @functools.wraps(f)
        def call(*args, **kwargs):
            bound = sig.bind(*args, **kwargs)
            permit.tool(tool_name, dict(bound.arguments))
            return f(*args, **kwargs)

        return call

    return wrap(fn) if fn is not None else wrap


@permit0_tool
def run_command(command: str) -> str:
    return subprocess.run(command, shell=True, capture_output=True, text=True).stdout


if __name__ == "__main__":
    for cmd in ("ls", "rm -rf ~"):
        try:
            print(cmd, "->", run_command(cmd)[:60])
        except permit0.PermitError as e:
            print(cmd, "->", e.decision.verdict, ":", e.reason)
