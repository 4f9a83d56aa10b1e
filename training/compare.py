"""``python -m training.compare``: the same as ``blurgen compare`` (:mod:`training.commands.compare`)."""
import sys

if __name__ == "__main__":
    from training.commands import run_and_exit
    run_and_exit(["compare", *sys.argv[1:]], invoked_as="python -m training.compare")
