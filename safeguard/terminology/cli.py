"""``flask --app safeguard terminology lint`` and ``terminology check``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from safeguard.terminology import VocabularyError, check_text, clear_cache, vocabulary_root
from safeguard.terminology.loader import load_vocabulary

terminology_cli = AppGroup("terminology", help="Validate the vocabulary and check wording.")


@terminology_cli.command("lint")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
def lint(directory: str | None) -> None:
    """Validate every locale under DIRECTORY (default: the project's terminology/); exit 1 on any problem."""
    root = Path(directory) if directory else vocabulary_root()
    locales = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    if not locales:
        click.echo(f"Error: no locale folders under {root}", err=True)
        sys.exit(1)
    failed = False
    for folder in locales:
        try:
            vocabulary = load_vocabulary(folder)
        except VocabularyError as error:
            failed = True
            for problem in error.problems:
                click.echo(f"{folder.name}/{problem}", err=True)
            continue
        click.echo(
            f"{folder.name} {vocabulary.version}: {len(vocabulary.leaves)} categories in {len(vocabulary.groups)} "
            f"groups, {len(vocabulary.terms)} terms, {len(vocabulary.agencies)} agencies, "
            f"{len(vocabulary.protocols)} protocols, {len(vocabulary.body_map.regions)} body map regions — valid"
        )
    clear_cache()
    sys.exit(1 if failed else 0)


@terminology_cli.command("check")
@click.argument("file", required=False, default="-")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of findings.")
@click.option("--locale", default="en-GB", show_default=True)
def check(file: str, as_json: bool, locale: str) -> None:
    """Check the wording of FILE (or standard input, "-"): exit 1 if a term to avoid is found, 2 on bad input."""
    try:
        raw = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
        text = raw.decode("utf-8")
    except OSError as error:
        click.echo(f"Error: cannot read {file}: {error.strerror}", err=True)
        sys.exit(2)
    except UnicodeDecodeError:
        click.echo(f"Error: {file} is not UTF-8 text", err=True)
        sys.exit(2)
    findings = check_text(text, locale)
    if as_json:
        click.echo(json.dumps([f.to_dict() for f in findings], ensure_ascii=False))
    else:
        for finding in findings:
            line = text.count("\n", 0, finding.start) + 1
            click.echo(
                f"line {line}: {finding.severity}: “{finding.text}” → {' / '.join(finding.preferred)}. {finding.reason}"
            )
        if not findings:
            click.echo("No terms to avoid or use with caution were found.")
    sys.exit(1 if any(f.severity == "avoid" for f in findings) else 0)
