"""``--help`` of a command at any terminal width: typer's option panels where they fit,
else the same panels with each option's help under its name.

typer draws an option panel as one table (names | short names | negative names | metavar |
help). A panel with long option names (``--inspect-max-entries``, ``--no-verify-artifacts``)
leaves the help column about 20 characters at 80 columns, and rich ends a word longer than
its column with an ellipsis: ``MCPSCAN_INSPECT_MAX_EN…``. A variable the user cannot read
in full is not documented, so a panel whose every variable name does not survive whole is
drawn stacked instead: the option's names on one line, its help indented below, at nearly
the whole width. Wide terminals keep typer's look.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from rich.align import Align
from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.text import Text
from typer import rich_utils
from typer.core import TyperArgument, TyperOption

__all__ = ["envvar_names", "print_command_help"]

_INDENT = 4  # the stacked help, under its option's names


def envvar_names(param: Any) -> tuple[str, ...]:
    """The variable names ``--help`` shows for ``param`` (none when it shows none)."""
    if not getattr(param, "show_envvar", False) or not param.envvar:
        return ()
    envvar = param.envvar
    return (envvar,) if isinstance(envvar, str) else tuple(envvar)


def _whole(name: str, text: str) -> bool:
    return re.search(rf"(?<![A-Z0-9_]){re.escape(name)}(?![A-Z0-9_…])", text) is not None


def _label(param: TyperOption | TyperArgument, ctx: Any) -> str:
    if isinstance(param, TyperArgument):
        label = param.display_name_raw or ""
    else:
        longs = [o for o in param.opts if o.startswith("--")]
        shorts = [o for o in param.opts if not o.startswith("--")]
        label = ", ".join([*longs, *shorts])
        if param.secondary_opts:
            label += " / " + ", ".join(param.secondary_opts)
    shown_type = param.display_type_rich(ctx=ctx)
    return f"{label} {shown_type}" if shown_type else label


def _stacked(params: list[TyperOption] | list[TyperArgument], ctx: Any, markup_mode: Any) -> Group:
    rows: list[RenderableType] = []
    for param in params:
        rows.append(rich_utils.highlighter(Text(_label(param, ctx), overflow="fold")))
        helptext = rich_utils._get_parameter_help(param=param, ctx=ctx, markup_mode=markup_mode)
        rows.append(Padding(helptext, (0, 0, 0, _INDENT)))
    return Group(*rows)


def _print_panel(
    name: str,
    params: list[TyperOption] | list[TyperArgument],
    ctx: Any,
    markup_mode: Any,
    console: Console,
) -> None:
    if not params:
        return
    with console.capture() as capture:
        rich_utils._print_options_panel(
            name=name, params=params, ctx=ctx, markup_mode=markup_mode, console=console
        )
    drawn = capture.get()
    plain = Text.from_ansi(drawn).plain
    if all(_whole(var, plain) for param in params for var in envvar_names(param)):
        console.file.write(drawn)
    else:
        console.print(
            Panel(
                _stacked(params, ctx, markup_mode),
                border_style=rich_utils.STYLE_OPTIONS_PANEL_BORDER,
                title=name,
                title_align=rich_utils.ALIGN_OPTIONS_PANEL,
            )
        )


def print_command_help(command: Any, ctx: Any, markup_mode: Any) -> None:
    """typer's ``rich_format_help`` for a command (not a group), each panel through
    :func:`_print_panel`."""
    console = rich_utils._get_rich_console()
    console.print(
        Padding(rich_utils.highlighter(command.get_usage(ctx)), 1),
        style=rich_utils.STYLE_USAGE_COMMAND,
    )
    if command.help:
        helptext = rich_utils._get_help_text(obj=command, markup_mode=markup_mode)
        console.print(Padding(Align(helptext, pad=False), (0, 1, 1, 1)))
    arguments: defaultdict[str, list[TyperArgument]] = defaultdict(list)
    options: defaultdict[str, list[TyperOption]] = defaultdict(list)
    arguments[rich_utils.ARGUMENTS_PANEL_TITLE] = []  # the default panels come first
    options[rich_utils.OPTIONS_PANEL_TITLE] = []
    for param in command.get_params(ctx):
        if getattr(param, "hidden", False):
            continue
        panel = getattr(param, "rich_help_panel", None)
        if isinstance(param, TyperArgument):
            arguments[panel or rich_utils.ARGUMENTS_PANEL_TITLE].append(param)
        elif isinstance(param, TyperOption):
            options[panel or rich_utils.OPTIONS_PANEL_TITLE].append(param)
    for panel_name, panel_arguments in arguments.items():
        _print_panel(panel_name, panel_arguments, ctx, markup_mode, console)
    for panel_name, panel_options in options.items():
        _print_panel(panel_name, panel_options, ctx, markup_mode, console)
    if command.epilog:
        epilogue = rich_utils._fix_linebreaks(command.epilog.split("\n\n"), markup_mode)
        text = rich_utils._make_rich_text(text=epilogue, markup_mode=markup_mode)
        console.print(Padding(Align(text, pad=False), 1))
