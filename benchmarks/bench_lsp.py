"""Benchmark `pv lsp`: how soon diagnostics follow an edit, and whether the server's memory stays flat.

Run it with the project's venv interpreter:

    .venv/bin/python benchmarks/bench_lsp.py [--edits 40] [--memory-edits 1000] [--json OUT]

It starts the real server (`python -m pv lsp`) and talks LSP to it over stdio
with a minimal client, as an editor does. Measured, as wall time from sending
a notification to receiving the `textDocument/publishDiagnostics` for that
document version (median and 90th percentile):

1. the repository's contract, warm server: one-character edits in prose
   (outside formulas), then one-character edits of a claimed value (inside the
   formulas, which re-runs the formula checks);
2. the first diagnostics of a newly opened file (the same contract under a new
   name each time, so no per-document state helps);
3. a ~600-line corpus contract (`../shared/corpus`, skipped when absent):
   one-character edits in prose;
4. the server's resident memory (VmRSS) after the warm-up, then every 250
   one-character edits up to `--memory-edits`.

The baseline, side by side: the round trip of a request the server answers at
once (a hover where there is nothing to show), and `pv validate` of the same
text in this process (the checks alone, no memo). Nothing asserts on time; the
issue's targets are printed next to the figures: <= 50 ms median after an edit
outside formulas, <= 300 ms to the first diagnostics of a newly opened file,
memory flat over 1,000 edits (taken as: the second half of the edits grows the server's
resident memory by less than 1 MiB; the first few hundred edits fill allocator pools).
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = ROOT / "contracts" / "training-loop-pretrain-v1.yaml"
CORPUS = Path(os.environ.get("PV_CORPUS", ROOT.parent / "shared" / "corpus"))
CORPUS_CONTRACT = ("aprender", "contracts/entrenar/gpu-training-backend-v1.yaml")
TARGET_EDIT_MS, TARGET_OPEN_MS, TARGET_MEMORY_MIB = 50.0, 300.0, 1.0


class Client:
    """Just enough of an LSP client: framed JSON-RPC over the server's stdin/stdout."""

    def __init__(self, root: Path) -> None:
        env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        self.proc = subprocess.Popen([sys.executable, "-m", "pv", "lsp"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, env=env)
        self.inbox: queue.Queue = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()
        self.request("initialize", {"processId": os.getpid(), "rootUri": root.as_uri(), "capabilities": {
            "workspace": {"didChangeWatchedFiles": {"dynamicRegistration": True}},
            "textDocument": {"publishDiagnostics": {"versionSupport": True}}}})
        self.notify("initialized", {})

    def _read(self) -> None:
        stream = self.proc.stdout
        while True:
            headers = {}
            while True:
                line = stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode().partition(":")
                headers[name.strip().lower()] = value.strip()
            message = json.loads(stream.read(int(headers["content-length"])))
            if "method" in message and "id" in message:  # a request from the server: accept it
                self._send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            else:
                self.inbox.put((time.perf_counter(), message))

    def _send(self, message: dict) -> float:
        body = json.dumps(message).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()
        return time.perf_counter()

    def notify(self, method: str, params: dict) -> float:
        return self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method: str, params: dict) -> tuple[float, dict]:
        self.next_id += 1
        sent = self._send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        while True:
            at, message = self.inbox.get(timeout=60)
            if message.get("id") == self.next_id:
                return at - sent, message

    def diagnostics(self, uri: str, version: int, timeout: float = 60) -> tuple[float, list]:
        """(arrival time, diagnostics) of the publish for `uri` at `version`."""
        end = time.monotonic() + timeout
        while True:
            at, message = self.inbox.get(timeout=max(0.1, end - time.monotonic()))
            params = message.get("params") or {}
            if message.get("method") == "textDocument/publishDiagnostics" and params.get("uri") == uri \
                    and params.get("version") == version:
                return at, params["diagnostics"]

    def rss_mib(self) -> float:
        with open(f"/proc/{self.proc.pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def close(self) -> None:
        try:
            self.request("shutdown", None)
            self.notify("exit", None)
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()


class Doc:
    def __init__(self, client: Client, path: Path, text: str) -> None:
        self.client, self.uri, self.text, self.version = client, path.as_uri(), text, 1

    def open(self) -> float:
        sent = self.client.notify("textDocument/didOpen", {"textDocument": {
            "uri": self.uri, "languageId": "yaml", "version": 1, "text": self.text}})
        return self.client.diagnostics(self.uri, 1)[0] - sent

    def type_char(self, needle: str, offset: int, char: str, *, remove: bool = False) -> float:
        """Insert (or remove) one character at `needle` + `offset`; seconds until its diagnostics."""
        index = self.text.index(needle) + offset
        line = self.text.count("\n", 0, index)
        col = index - (self.text.rfind("\n", 0, index) + 1)  # the texts used here are BMP-only: UTF-16 == str
        end = col + 1 if remove else col
        self.text = self.text[:index] + ("" if remove else char) + self.text[index + (1 if remove else 0):]
        self.version += 1
        sent = self.client.notify("textDocument/didChange", {
            "textDocument": {"uri": self.uri, "version": self.version},
            "contentChanges": [{"range": {"start": {"line": line, "character": col},
                                          "end": {"line": line, "character": end}}, "text": "" if remove else char}]})
        return self.client.diagnostics(self.uri, self.version)[0] - sent


def edits(doc: Doc, needle: str, offset: int, count: int) -> list[float]:
    """`count` one-character edits, alternately typing and deleting an "x"."""
    return [doc.type_char(needle, offset, "x", remove=i % 2 == 1) for i in range(count)]


def ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return f"median {statistics.median(samples) * 1000:7.1f} ms   p90 {p90 * 1000:7.1f} ms   (n={len(samples)})"


def verdict(value: float, target: float) -> str:
    return "met" if value <= target else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--edits", type=int, default=40)
    parser.add_argument("--opens", type=int, default=10)
    parser.add_argument("--memory-edits", type=int, default=1000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results: dict[str, object] = {"load_before": os.getloadavg()}
    text = CONTRACT.read_text(encoding="utf-8")

    # Baseline: the checks alone, in this process, on the same text (no memo, warm imports).
    sys.path.insert(0, str(ROOT))  # this checkout's pv, as the server gets it through PYTHONPATH
    from pv.core.config import load_config
    from pv.core.engine import CheckContext, validate_text

    ctx = CheckContext(load_config(ROOT))
    validate_text(CONTRACT, text, ctx)
    inproc = []
    for _ in range(5):
        start = time.perf_counter()
        validate_text(CONTRACT, text, ctx)
        inproc.append(time.perf_counter() - start)

    client = Client(ROOT)
    try:
        doc = Doc(client, CONTRACT, text)
        doc.open()
        rtt = [client.request("textDocument/hover", {"textDocument": {"uri": doc.uri},
                                                      "position": {"line": 5, "character": 0}})[0]
               for _ in range(args.edits)]
        prose = edits(doc, "author: pv", len("author: pv"), args.edits)
        formula = edits(doc, "value: 21.6", len("value: 21.6"), max(6, args.edits // 4))
        first = []
        for i in range(args.opens):
            fresh = Doc(client, ROOT / "contracts" / f"bench-open-{i}-v1.yaml", text)
            first.append(fresh.open())
            client.notify("textDocument/didClose", {"textDocument": {"uri": fresh.uri}})
        corpus = None
        if (CORPUS / CORPUS_CONTRACT[0] / CORPUS_CONTRACT[1]).is_file():
            path = CORPUS / CORPUS_CONTRACT[0] / CORPUS_CONTRACT[1]
            other = Doc(client, path, path.read_text(encoding="utf-8"))
            other.open()
            lines = other.text.count("\n")
            corpus = (lines, edits(other, "GPU backend dispatch", len("GPU backend dispatch"), args.edits))
        rss = [(0, client.rss_mib())]
        for done in range(0, args.memory_edits, 250):
            edits(doc, "author: pv", len("author: pv"), min(250, args.memory_edits - done))
            rss.append((min(done + 250, args.memory_edits), client.rss_mib()))
    finally:
        client.close()

    print(f"pv lsp benchmark ({sys.executable}; load average {results['load_before']})")
    print(f"baseline  round trip of an empty hover          {ms(rtt)}")
    print(f"baseline  validate_text in-process (no memo)    {ms(inproc)}")
    print(f"repo contract, edit in prose                    {ms(prose)}   "
          f"target <= {TARGET_EDIT_MS:.0f} ms: {verdict(statistics.median(prose) * 1000, TARGET_EDIT_MS)}")
    print(f"repo contract, edit a claimed value (formulas)  {ms(formula)}   (no target: formula checks re-run)")
    print(f"first diagnostics of a newly opened file        {ms(first)}   "
          f"target <= {TARGET_OPEN_MS:.0f} ms: {verdict(statistics.median(first) * 1000, TARGET_OPEN_MS)}")
    if corpus is not None:
        print(f"corpus contract ({corpus[0]} lines), edit in prose   {ms(corpus[1])}   "
              f"target <= {TARGET_EDIT_MS:.0f} ms: {verdict(statistics.median(corpus[1]) * 1000, TARGET_EDIT_MS)}")
    else:
        print("corpus contract: skipped (../shared/corpus is absent)")
    half = next((mib for n, mib in rss if n >= args.memory_edits / 2), rss[0][1])
    growth = rss[-1][1] - half
    print("server memory (VmRSS) after N edits: " + ", ".join(f"{n}: {mib:.1f} MiB" for n, mib in rss)
          + f"   growth over the second half: {growth:+.1f} MiB, target < {TARGET_MEMORY_MIB:.0f} MiB: "
          + verdict(growth, TARGET_MEMORY_MIB))
    print(f"load average after: {os.getloadavg()}")
    if args.json:
        results.update(rtt=rtt, inproc=inproc, prose=prose, formula=formula, first=first,
                       corpus=corpus[1] if corpus else None, rss=rss, load_after=os.getloadavg())
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
