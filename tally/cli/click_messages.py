"""click's own words (``Usage:``, ``Options``, its usage errors) from our catalogue.

click looks its messages up with the standard library's :func:`gettext.gettext`, bound into each
of its modules when they are imported; :func:`install` rebinds them to :mod:`ballotgen.i18n`, so
they follow ``--lang`` like ours. The ids below are click's, listed so that extraction keeps them
in the catalogue: those a user of ``tinnhiem`` can meet (help pages, a malformed command line).
"""

from __future__ import annotations

import importlib

from ballotgen import i18n
from ballotgen.i18n import N_

CLICK_MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "termui", "types",
                 "utils", "_termui_impl")

MESSAGES = (
    N_("Usage:"),
    N_("[OPTIONS]"),
    N_("COMMAND [ARGS]..."),
    N_("Options"),
    N_("Commands"),
    N_("Positional arguments"),
    N_("Show this message and exit."),
    N_("Aborted!"),
    N_("default: {default}"),
    N_("required"),
    N_("(dynamic)"),
    N_("env var: {var}"),
    N_("Error: {message}"),
    N_("Try '{command} {option}' for help."),
    N_("Missing command."),
    N_("Invalid value: {message}"),
    N_("Invalid value for {param_hint}: {message}"),
    N_("Missing argument"),
    N_("Missing option"),
    N_("Missing parameter"),
    N_("Missing {param_type}"),
    N_("Missing parameter: {param_name}"),
    N_("No such option {name!r}."),
    N_("No such command {name!r}."),
    N_("unknown error"),
    N_("Could not open file {filename!r}: {message}"),
    N_("Option {name!r} does not take a value."),
    N_("Argument {name!r} takes {nargs} values."),
    N_("{value!r} is not a valid {number_type}."),
    N_("{value} is not in the range {range}."),
    N_("{value!r} is not a valid boolean. Recognized values: {states}"),
    N_("file"),
    N_("directory"),
    N_("path"),
    N_("{name} {filename!r} does not exist."),
    N_("{name} {filename!r} is a file."),
    N_("{name} {filename!r} is a directory."),
    N_("{name} {filename!r} is not readable."),
    N_("{name} {filename!r} is not writable."),
    N_("{name} {filename!r} is not executable."),
)


def _plural_messages() -> None:
    """Never called: marks click's messages with plural forms for extraction."""
    i18n.ngettext("Got unexpected extra argument ({args})",
                  "Got unexpected extra arguments ({args})", 0)
    i18n.ngettext("Option {name!r} requires an argument.",
                  "Option {name!r} requires {nargs} arguments.", 0)
    i18n.ngettext("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)", 0)
    i18n.ngettext("{value!r} is not {choice}.", "{value!r} is not one of {choices}.", 0)
    i18n.ngettext("Takes {nargs} values but 1 was given.",
                  "Takes {nargs} values but {len} were given.", 0)


def install() -> None:
    """Let click's modules look their messages up in our catalogue, in the current language."""
    for name in CLICK_MODULES:
        try:
            module = importlib.import_module(f"click.{name}")
        except ImportError:  # a module of another click version, or Windows-only
            continue
        for name, ours in (("_", i18n.gettext), ("ngettext", i18n.ngettext)):
            if hasattr(module, name):
                setattr(module, name, ours)
