"""livehand: real-time hand tracking (both hands, 21 keypoints) on the CPU or through TensorRT."""
__version__ = "0.1.0"
