"""``python -m training.deblur``: the same as ``blurgen deblur`` (:mod:`training.commands.deblur`)."""
import sys

if __name__ == "__main__":
    from training.commands import run_and_exit
    run_and_exit(["deblur", *sys.argv[1:]], invoked_as="python -m training.deblur")
