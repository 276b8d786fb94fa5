"""End to end: the real `permit0 lsp` binary driven by a real LSP client
(pytest-lsp, on pygls), over stdio.

initialize -> didOpen a `.p0` file with a typo -> publishDiagnostics (P0201 on
the action) -> hover on a correct action (fields, risk) -> code action (the
did-you-mean quick fix) -> didChange + completion after `when payments.` ->
shutdown -> exit.

The binary is `$PERMIT0_BIN`, by default `target/debug/permit0` under the
repository root. Run with `tests/lsp_e2e/run.sh`.
"""

import asyncio
import os
import pathlib

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

REPO = pathlib.Path(__file__).resolve().parents[2]
PERMIT0 = pathlib.Path(os.environ.get("PERMIT0_BIN", "target/debug/permit0"))
if not PERMIT0.is_absolute():
    PERMIT0 = REPO / PERMIT0

TIMEOUT = 60  # seconds for any one answer from the server

TEXT = (
    "when payments.refnud amount > 500 then escalate\n"
    "when payments.refund amount > 500 then escalate\n"
)
TYPO = types.Range(
    start=types.Position(line=0, character=5),
    end=types.Position(line=0, character=20),  # `payments.refnud`
)


def make_client() -> LanguageClient:
    """pytest-lsp's test client, plus `client/registerCapability`, which the
    server sends (it asks to watch `**/*.p0`) when the client can watch files."""
    client = pytest_lsp.make_test_lsp_client()
    client.registrations = []

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register_capability(ls: LanguageClient, params: types.RegistrationParams):
        ls.registrations.extend(params.registrations)
        return None

    return client


@pytest_lsp.fixture(
    config=ClientServerConfig(
        server_command=[str(PERMIT0), "lsp"], client_factory=make_client
    ),
)
async def client(lsp_client: LanguageClient, tmp_path_factory):
    assert PERMIT0.is_file(), f"no permit0 binary at {PERMIT0} (set PERMIT0_BIN)"
    cache = tmp_path_factory.mktemp("permit0-cache")
    params = types.InitializeParams(
        capabilities=pytest_lsp.client_capabilities("visual-studio-code"),
        initialization_options={"cacheDir": str(cache)},
    )
    result = await asyncio.wait_for(lsp_client.initialize_session(params), TIMEOUT)
    assert result.server_info is not None and result.server_info.name == "permit0-lsp"
    caps = result.capabilities
    assert caps.hover_provider, caps
    assert caps.completion_provider is not None, caps
    assert caps.code_action_provider, caps
    yield
    # shutdown, exit, and the process ends with status 0
    await asyncio.wait_for(lsp_client.shutdown_session(), TIMEOUT)
    server = lsp_client._server
    assert server is not None and server.returncode == 0, server


async def wait_for_diagnostics(client: LanguageClient, uri: str):
    """The diagnostics last published for `uri` (waiting for them if needed)."""

    async def wait():
        while uri not in client.diagnostics:
            await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        return client.diagnostics[uri]

    return await asyncio.wait_for(wait(), TIMEOUT)


def text_of(hover: types.Hover) -> str:
    c = hover.contents
    if isinstance(c, types.MarkupContent):
        return c.value
    if isinstance(c, str):
        return c
    if isinstance(c, types.MarkedStringWithLanguage):
        return c.value
    return "\n".join(x if isinstance(x, str) else x.value for x in c)


@pytest.mark.asyncio
async def test_typo_diagnostic_hover_completion_and_quick_fix(
    client: LanguageClient, tmp_path
):
    uri = (tmp_path / "refunds.p0").as_uri()  # never saved: checked on its own
    doc = types.TextDocumentIdentifier(uri=uri)

    # --- diagnostics, published after didOpen ---------------------------------
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="p0", version=1, text=TEXT
            )
        )
    )
    diags = await wait_for_diagnostics(client, uri)
    assert len(diags) == 1, diags
    d = diags[0]
    print("diagnostic:", d)
    assert d.code == "P0201", d
    assert d.range == TYPO, d.range
    assert d.severity == types.DiagnosticSeverity.Error, d
    assert "payments.refnud" in d.message, d.message
    assert "did you mean `payments.refund`" in d.message, d.message
    # sent while handling `initialized`, so it arrived before the diagnostics
    assert [r.method for r in client.registrations] == [
        types.WORKSPACE_DID_CHANGE_WATCHED_FILES
    ], client.registrations

    # --- hover on the correct action on line 1 --------------------------------
    hover = await asyncio.wait_for(
        client.text_document_hover_async(
            types.HoverParams(
                text_document=doc, position=types.Position(line=1, character=16)
            )
        ),
        TIMEOUT,
    )
    assert hover is not None
    shown = text_of(hover)
    print("hover:", shown)
    assert "payments.refund" in shown, shown
    assert "amount" in shown, shown  # its typed fields
    assert "**risk**: primary FINANCIAL" in shown, shown  # its risk profile
    assert "tier `" in shown, shown  # its default tier
    assert hover.range is not None and hover.range.start.line == 1, hover.range

    # --- the quick fix for the typo -------------------------------------------
    actions = await asyncio.wait_for(
        client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=doc,
                range=types.Range(start=TYPO.start, end=TYPO.start),
                context=types.CodeActionContext(
                    diagnostics=[d], only=[types.CodeActionKind.QuickFix]
                ),
            )
        ),
        TIMEOUT,
    )
    assert actions, actions
    fixes = [a for a in actions if isinstance(a, types.CodeAction)]
    assert len(fixes) == 1, actions
    fix = fixes[0]
    assert fix.title == "replace `payments.refnud` with `payments.refund`", fix.title
    assert fix.kind == types.CodeActionKind.QuickFix, fix.kind
    assert fix.edit is not None and fix.edit.changes is not None, fix
    assert list(fix.edit.changes[uri]) == [
        types.TextEdit(range=TYPO, new_text="payments.refund")
    ], fix.edit.changes

    # --- completion after `when payments.` on a half-typed line ---------------
    line = "when payments."
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(
                        start=types.Position(line=2, character=0),
                        end=types.Position(line=2, character=0),
                    ),
                    text=line,
                )
            ],
        )
    )
    completion = await asyncio.wait_for(
        client.text_document_completion_async(
            types.CompletionParams(
                text_document=doc,
                position=types.Position(line=2, character=len(line)),
                context=types.CompletionContext(
                    trigger_kind=types.CompletionTriggerKind.TriggerCharacter,
                    trigger_character=".",
                ),
            )
        ),
        TIMEOUT,
    )
    assert completion is not None
    items = completion.items if isinstance(completion, types.CompletionList) else completion
    labels = {i.label for i in items}
    print("completion:", sorted(labels))
    assert "refund" in labels, sorted(labels)
    assert "transfer" in labels, sorted(labels)  # the other payments actions too
    assert "send" not in labels, sorted(labels)  # not email's
