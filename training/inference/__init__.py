"""Inference: an exported generator on images of any size (:mod:`.restorer`), in the runtime
chosen among TensorFlow, OpenVINO and ONNX Runtime (:mod:`.backends`; the ONNX graph from
:mod:`.onnx_export`), in the precision the CPU supports (:mod:`.cpu`)."""
