"""Sharp video to blur made by integrating an exposure (the work of ``blurgen video``).

* :mod:`~pipelines.footage.clips` -- video files and folders of frames, and their frame ranges.
* :mod:`~pipelines.footage.frames` -- a clip's frames in order, one at a time.
* :mod:`~pipelines.footage.windows` -- one frame range in, one pair or one reject per window out.
* :mod:`~pipelines.footage.exposure` -- exposure times and the samples that integrate one.
* :mod:`~pipelines.footage.motion`, :mod:`~pipelines.footage.interpolate`,
  :mod:`~pipelines.footage.ghosting` -- motion between frames, frames in between by optical flow,
  and the windows that would show ghosts instead of blur.
* :mod:`~pipelines.footage.average` -- one window to one blurred frame, in linear light.

Imports :mod:`pipelines.sources`, :mod:`pipelines.shards` and :mod:`pipelines.items`.
"""
