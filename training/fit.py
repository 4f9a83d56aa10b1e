"""``python -m training.fit``: the same as ``blurgen fit`` (:mod:`training.commands.fit`)."""
import sys

if __name__ == "__main__":
    from training.commands import run_and_exit
    run_and_exit(["fit", *sys.argv[1:]], invoked_as="python -m training.fit")
