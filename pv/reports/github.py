"""GitHub Actions report (`--format github`): one workflow command per finding.

    ::error file=F,line=L,col=C,endLine=L2,endColumn=C2,title=PV101 unknown-key::message

Errors and warnings map to `::error` / `::warning`, infos to `::notice`
(infos only with `-v`/`--show-infos`: `Report.show_infos`; they are always counted).
Escaping follows @actions/core (packages/core/src/command.ts): data escapes
`%`, CR and LF; property values also `:` and `,`. Empty properties are left
out, as the toolkit does. `col`/`endColumn` are only given for spans on one
line (GitHub's annotation API accepts columns only then); `endColumn` is
inclusive here.

GitHub shows at most 10 error, 10 warning and 10 notice annotations per step
(50 per job) and silently drops the rest, so when the findings exceed that
the report starts with a `::notice` saying how many are hidden (first, so
that it is never the one dropped), still prints every finding, and adds a
plain-text note before the closing `N errors, M warnings` line.
"""

from __future__ import annotations

from pv.core import rules
from pv.core.findings import Finding, Severity
from pv.core.report import Report
from pv.reports.common import ordered_shown, plural, printable, summary_line

PER_STEP_LIMIT = 10  # annotations of each kind (error, warning, notice) shown per step
PER_JOB_LIMIT = 50
COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, properties: dict[str, object], message: str) -> str:
    """One workflow command line, `::name k=v,k=v::message`, escaped like the toolkit."""
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items()
                     if value not in (None, "", 0))
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def _title(code: str) -> str:
    try:
        return f"{code} {rules.get(code).name}"
    except KeyError:
        return code


def annotation(finding: Finding) -> str:
    props: dict[str, object] = {"file": printable(finding.file)}  # names come from pull requests too
    if finding.line > 0:
        props["line"] = finding.line
        one_line = finding.end_line in (None, finding.line)
        if finding.end_line is not None and finding.end_line > finding.line:
            props["endLine"] = finding.end_line
        if one_line and finding.col > 0:
            props["col"] = finding.col
            if finding.end_col is not None and finding.end_col > finding.col + 1:
                props["endColumn"] = finding.end_col - 1  # pv's end_col is exclusive
    props["title"] = _title(finding.code)
    message = finding.message if not finding.hint else f"{finding.message}\nhint: {finding.hint}"
    # Logs render ANSI: keep escape sequences from the contract out of them.
    return command(COMMANDS[finding.severity], props, printable(message))


def hidden_count(report: Report) -> int:
    """How many annotations GitHub would drop (0 when everything fits)."""
    errors, warnings = report.errors, report.warnings
    infos = report.infos if report.show_infos else 0
    if max(errors, warnings, infos) <= PER_STEP_LIMIT:
        return 0
    notice_slots = PER_STEP_LIMIT - 1  # our own summary notice takes one
    return (max(0, errors - PER_STEP_LIMIT) + max(0, warnings - PER_STEP_LIMIT)
            + max(0, infos - notice_slots))


def render(report: Report, *, color: bool = False) -> str:
    out: list[str] = []
    hidden = hidden_count(report)
    total = len(report.shown())
    if hidden:
        advice = ("run `pv validate --format text` (or upload `--format sarif` to code scanning) "
                  "for the full list")
        limits = (f"GitHub shows at most {PER_STEP_LIMIT} error, {PER_STEP_LIMIT} warning and "
                  f"{PER_STEP_LIMIT} notice annotations per step ({PER_JOB_LIMIT} per job)")
        out.append(command("notice", {"title": "pv: some findings are not annotated"},
                           f"{plural(total, 'finding')}; {limits}, so {hidden} of them are not shown "
                           f"as annotations. All are listed in this step's log; {advice}."))
    out.extend(annotation(finding) for finding in ordered_shown(report))
    if hidden:
        out.append(f"pv: {hidden} of {plural(total, 'finding')} are not shown as annotations because of "
                   f"GitHub's annotation limits (all are listed above); run `pv validate --format text` "
                   f"or `--format sarif` for the full list.")
    out.append(summary_line(report))
    return "\n".join(out) + "\n"
