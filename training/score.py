"""``python -m training.score``: the same as ``blurgen score`` (:mod:`training.commands.score`)."""
import sys

if __name__ == "__main__":
    from training.commands import run_and_exit
    run_and_exit(["score", *sys.argv[1:]], invoked_as="python -m training.score")
