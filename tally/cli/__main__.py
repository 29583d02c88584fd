"""``python -m tally.cli``: the ``tinnhiem`` command."""

from tally.cli import main

main()
