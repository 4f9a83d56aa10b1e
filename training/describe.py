"""``python -m training.describe``: the same as ``blurgen describe`` (:mod:`training.commands.describe`)."""
import sys

if __name__ == "__main__":
    from training.commands import run_and_exit
    run_and_exit(["describe", *sys.argv[1:]], invoked_as="python -m training.describe")
