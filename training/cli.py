"""``python -m training.cli NAME ARGS``: the same as ``python -m training.commands NAME ARGS``."""

if __name__ == "__main__":
    from training.commands import run_and_exit
    run_and_exit()
