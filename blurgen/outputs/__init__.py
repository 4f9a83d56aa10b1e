"""Writing what a user owns, safely: every command that writes files goes through this room.

* ``lock.py``: one writer per output folder (``flock`` locally, a marker object on object
  stores); ``holder.py``: who holds a lock, whether that process still runs, what to say.
* ``safety.py``: never write over a file the user gave as input.
* ``atomic.py``: write a file whole or not at all (a temporary name in the same folder, then a
  rename), so an interrupted write leaves the previous file as it was.

Plain Python: imported by the synthesizer's commands, the pipelines and the trainer alike (each
side passes its own file system for remote paths: Beam's, or ``tf.io.gfile``).
"""
