"""Model metadata: round trip, files written before a field existed, malformed text."""
import json

import pytest

from livehand.errors import LivehandError
from livehand.metadata import ModelMeta


def test_metadata_round_trips_and_old_files_get_the_old_start_presence():
    meta = ModelMeta(kind="landmarks", input_size=160, stride=2, start_presence=0.55)
    assert ModelMeta.from_json(meta.to_json()) == meta
    old = json.loads(meta.to_json())
    del old["start_presence"]  # models exported before 2026-12-03 carry no start presence
    assert ModelMeta.from_json(json.dumps(old)).start_presence == 0.75


@pytest.mark.parametrize("text", ["not json", json.dumps({"kind": "landmarks"}),
                                  json.dumps({"kind": "face", "input_size": 8, "stride": 4,
                                              "mean": [0, 0, 0], "std": [1, 1, 1]})])
def test_malformed_metadata_is_one_error_naming_the_model(text):
    with pytest.raises(LivehandError, match="m.onnx"):
        ModelMeta.from_json(text, source="m.onnx")
