"""``python -m training.commands NAME ARGS``: what ``blurgen NAME`` execs (see :func:`training.commands.main`)."""

from training.commands import run_and_exit

run_and_exit()
