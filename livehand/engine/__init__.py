"""TensorRT engines: building them from ONNX, describing them in a sidecar, finding the right one."""
