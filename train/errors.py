"""The one exception type `python -m train` turns into a single error line."""


class TrainInputError(ValueError):
    """Bad input the user can fix (a label file, an image, a config value, a model file); str() is
    the whole message. A ValueError, so callers that catch those still do; any other exception is
    a bug and keeps its traceback."""
