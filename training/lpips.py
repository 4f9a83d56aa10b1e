"""``python -m training.lpips``: the same as ``blurgen lpips`` (:mod:`training.commands.lpips`)."""
import sys

if __name__ == "__main__":
    from training.commands import run_and_exit
    run_and_exit(["lpips", *sys.argv[1:]], invoked_as="python -m training.lpips")
