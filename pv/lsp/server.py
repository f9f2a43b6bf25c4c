"""The language server: pygls glue between the editor and pv's checks and queries.

Every handler converts positions and hands the work to `Session` (checks, on
the check thread) or to a query module (hover, definition, completion,
actions, on the query thread); nothing slow runs on the event loop.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import unquote, urlparse

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from pv.core.document import source_lines
from pv.core.findings import Finding, Severity
from pv.lsp import actions, completion, definition, hover
from pv.lsp.session import OpenDoc, Session

log = logging.getLogger("pv.lsp")

_SEVERITY = {Severity.ERROR: types.DiagnosticSeverity.Error, Severity.WARNING: types.DiagnosticSeverity.Warning,
             Severity.INFO: types.DiagnosticSeverity.Information}
_KIND = {"id": types.CompletionItemKind.Reference, "formula": types.CompletionItemKind.Function,
         "test": types.CompletionItemKind.Method, "value": types.CompletionItemKind.EnumMember}
WATCHED = ("**/*.py", "**/*.rs", "**/*.yaml", "**/*.yml", "**/pyproject.toml", "**/pv.toml", "**/.pv.toml")


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("pv-contracts")
    except Exception:
        return "0"


class PvServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("pv", _version(), text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.session = Session(self._publish)

    # --- positions -----------------------------------------------------------------------------

    def to_client(self, lines: list[str], line: int, col: int) -> types.Position:
        """pv's 1-based (line, code-point column) -> an LSP position in the negotiated encoding."""
        if not lines:
            return types.Position(0, 0)
        line = min(max(line, 1), len(lines))
        col = min(max(col, 1), len(lines[line - 1]) + 1)
        return self.workspace.position_codec.position_to_client_units(
            lines, types.Position(line - 1, col - 1))

    def from_client(self, lines: list[str], position: types.Position) -> tuple[int, int]:
        """An LSP position -> pv's 1-based (line, code-point column)."""
        if not lines:
            return 1, 1
        copy = types.Position(min(position.line, len(lines) - 1), position.character)
        server = self.workspace.position_codec.position_from_client_units(lines, copy)
        return server.line + 1, server.character + 1

    def range_of(self, lines: list[str], line: int, col: int, end_line: int | None,
                 end_col: int | None) -> types.Range:
        if line < 1:  # no position: the first line
            return types.Range(types.Position(0, 0), self.to_client(lines, 1, len(lines[0]) + 1 if lines else 1))
        start = self.to_client(lines, line, col)
        if end_line is None or end_col is None or (end_line, end_col) <= (line, col):
            end_line, end_col = line, col + 1
        return types.Range(start, self.to_client(lines, end_line, end_col))

    def forget_finished(self) -> None:
        """Drop the futures pygls keeps for notifications it has finished handling.

        pygls 2.1 files a future under a fresh id for every notification whose built-in
        handler is a generator (didOpen, didChange, didClose, ...) and never removes it:
        about 2 KiB per keystroke, without end. Finished futures are of no further use.
        """
        futures = getattr(self.protocol, "_request_futures", None)
        if isinstance(futures, dict):
            for key in [key for key, future in futures.items() if future.done()]:
                futures.pop(key, None)

    # --- diagnostics ---------------------------------------------------------------------------

    def diagnostic(self, lines: list[str], finding: Finding) -> types.Diagnostic:
        message = finding.message + (f"\nhint: {finding.hint}" if finding.hint else "")
        return types.Diagnostic(
            range=self.range_of(lines, finding.line, finding.col, finding.end_line, finding.end_col),
            message=message, severity=_SEVERITY[finding.severity], code=finding.code, source="pv",
            code_description=None, data={"path": finding.path} if finding.path else None)

    def _publish(self, uri: str, version: int | None, findings: list[Finding], text: str) -> None:
        lines = source_lines(text)
        diagnostics = [self.diagnostic(lines, f) for f in findings]
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version))


def uri_to_path(uri: str, root: Path | None) -> Path:
    """The file an editor document stands for; an unsaved buffer counts as a file in the root."""
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        path = to_fs_path(uri)
        if path:
            return Path(path)
    name = Path(unquote(parsed.path)).name or "untitled.yaml"
    return (root or Path.cwd()) / name


def build_server() -> PvServer:
    server = PvServer()
    state: dict[str, Path | None] = {"root": None}

    @server.feature(types.INITIALIZE)
    def initialize(ls: PvServer, params: types.InitializeParams) -> None:
        root = params.root_uri or (params.workspace_folders[0].uri if params.workspace_folders else None)
        state["root"] = Path(to_fs_path(root)) if root and to_fs_path(root) else None
        options = params.initialization_options if isinstance(params.initialization_options, dict) else {}
        skip = options.get("skip")
        if isinstance(skip, list):
            ls.session.skip = frozenset(str(s) for s in skip)

    @server.feature(types.INITIALIZED)
    def initialized(ls: PvServer, params: types.InitializedParams) -> None:
        root = state["root"]
        if root is not None:
            from pv.core.config import find_root
            from pv.lsp.warmup import warm_up

            found = find_root(root)
            ls.session.check_pool.submit(warm_up, ls.session.checker_for(found), found)
        watching = ls.client_capabilities.workspace and ls.client_capabilities.workspace.did_change_watched_files
        if watching and watching.dynamic_registration:
            watchers = [types.FileSystemWatcher(glob_pattern=g) for g in WATCHED]
            ls.client_register_capability(types.RegistrationParams(registrations=[
                types.Registration(id="pv-watch", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                                   register_options=types.DidChangeWatchedFilesRegistrationOptions(
                                       watchers=watchers))]))
        _show_notes(ls)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: PvServer, params: types.DidOpenTextDocumentParams) -> None:
        item = params.text_document
        ls.session.open(item.uri, uri_to_path(item.uri, state["root"]), item.text, item.version, item.language_id)
        _show_notes(ls)
        ls.forget_finished()

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: PvServer, params: types.DidChangeTextDocumentParams) -> None:
        document = ls.workspace.get_text_document(params.text_document.uri)
        ls.session.change(params.text_document.uri, document.source, params.text_document.version)
        ls.forget_finished()

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: PvServer, params: types.DidSaveTextDocumentParams) -> None:
        # Another contract may name this one (peer files): re-check the others.
        ls.session.files_changed([uri_to_path(params.text_document.uri, state["root"])])
        ls.forget_finished()

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: PvServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.session.close(params.text_document.uri)
        ls.forget_finished()

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched(ls: PvServer, params: types.DidChangeWatchedFilesParams) -> None:
        ls.session.files_changed([uri_to_path(change.uri, state["root"]) for change in params.changes])
        ls.forget_finished()

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def on_hover(ls: PvServer, params: types.HoverParams) -> types.Hover | None:
        def run(doc: OpenDoc, text: str, parsed):
            lines = source_lines(text)
            line, col = ls.from_client(lines, params.position)
            found = hover.hover(text, parsed, line, col)
            if found is None:
                return None
            return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=found.markdown),
                               range=ls.range_of(lines, found.line, found.col, found.end_line, found.end_col))

        return await ls.session.query(params.text_document.uri, run)

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    async def on_definition(ls: PvServer, params: types.DefinitionParams) -> types.Location | None:
        def run(doc: OpenDoc, text: str, parsed):
            lines = source_lines(text)
            line, col = ls.from_client(lines, params.position)
            dirs = ls.session.config_for(doc.root).contract_dirs
            target = definition.definition(text, parsed, line, col, dirs)
            if target is None:
                return None
            if target.file == doc.path:
                where = ls.range_of(lines, target.line, target.col, target.end_line, target.end_col)
                return types.Location(uri=params.text_document.uri, range=where)
            start = types.Position(target.line - 1, 0)  # another file: its lines are not at hand
            return types.Location(uri=from_fs_path(str(target.file)) or "", range=types.Range(start, start))

        return await ls.session.query(params.text_document.uri, run)

    @server.feature(types.TEXT_DOCUMENT_COMPLETION,
                    types.CompletionOptions(trigger_characters=[" ", "-", "/", ":", "[", ","]))
    async def on_completion(ls: PvServer, params: types.CompletionParams) -> types.CompletionList | None:
        def run(doc: OpenDoc, text: str, parsed):
            lines = source_lines(text)
            line, col = ls.from_client(lines, params.position)
            items = completion.complete(text, parsed or doc.last_good, line, col, doc.root,
                                        ls.session.config_for(doc.root))
            out = []
            for item in items:
                where = ls.range_of(lines, item.line, item.col, item.line, item.end_col)
                if item.end_col == item.col:
                    where = types.Range(where.start, where.start)
                out.append(types.CompletionItem(label=item.label, kind=_KIND[item.kind], detail=item.detail,
                                                text_edit=types.TextEdit(range=where, new_text=item.label)))
            return types.CompletionList(is_incomplete=False, items=out)

        return await ls.session.query(params.text_document.uri, run)

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]))
    async def on_code_action(ls: PvServer, params: types.CodeActionParams) -> list[types.CodeAction] | None:
        def run(doc: OpenDoc, text: str, parsed):
            if doc.published_text != text:
                return []  # the findings belong to older text; their edits could land in the wrong place
            lines = source_lines(text)
            start = ls.from_client(lines, params.range.start)
            end = ls.from_client(lines, params.range.end)
            out = []
            for finding, fix in actions.quick_fixes(doc.findings, text, *start, *end):
                edits = [types.TextEdit(range=types.Range(ls.to_client(lines, e.line, e.col),
                                                          ls.to_client(lines, e.end_line, e.end_col)),
                                        new_text=e.new_text) for e in fix.edits]
                out.append(types.CodeAction(
                    title=fix.title, kind=types.CodeActionKind.QuickFix, is_preferred=True,
                    diagnostics=[ls.diagnostic(lines, finding)],
                    edit=types.WorkspaceEdit(changes={params.text_document.uri: edits})))
            return out

        return await ls.session.query(params.text_document.uri, run)

    @server.feature(types.SHUTDOWN)
    def on_shutdown(ls: PvServer, params: None) -> None:
        ls.session.shutdown()

    return server


def _show_notes(ls: PvServer) -> None:
    while ls.session.notes:
        ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Warning,
                                                       message=ls.session.notes.pop(0)))


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="pv lsp: %(levelname)s %(message)s")
    build_server().start_io()
