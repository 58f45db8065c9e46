"""End to end on generated data: JSONL labels -> packed shards -> fit -> ONNX with metadata."""
import json
from dataclasses import fields, replace

import pytest

import cv2
import numpy as np

from livehand.backends.onnxruntime import OnnxRuntimeBackend
from livehand.skeleton import HAND21
from train.data.crops import HandCropDataset, CropAugment, load_shards, pack_hand_crops
from train.data.records import read_jsonl
from train.loop import TrainConfig, augment, fit


def _write_dataset(root, n=24, seed=0):
    """Stick-figure hands (coloured bones on noise) with exact 21-point labels."""
    rng = np.random.default_rng(seed)
    lines = []
    for i in range(n):
        img = rng.integers(0, 80, (160, 160, 3), dtype=np.uint8)
        wrist = rng.uniform(60, 100, 2)
        angles = np.deg2rad(rng.uniform(-20, 20)) + np.linspace(-0.6, 0.6, 5)
        pts = [wrist]
        for a in angles:
            d = np.array([np.sin(a), -np.cos(a)])
            pts += [wrist + d * r for r in (12, 24, 34, 42)]
        pts = np.array(pts)
        for (a, b), colour in zip(HAND21.bones, HAND21.bone_colours):
            cv2.line(img, tuple(map(int, pts[a])), tuple(map(int, pts[b])), colour, 3)
        cv2.imwrite(str(root / f"{i}.png"), img)
        lines.append({"image": f"{i}.png", "source": "a" if i < n - 6 else "b",
                      "hands": [{"side": "left" if i % 2 else "right", "keypoints": pts.round(2).tolist()}]})
    (root / "labels.jsonl").write_text("\n".join(json.dumps(x) for x in lines))


def test_packing_and_dataset_keep_labels_consistent(tmp_path):
    _write_dataset(tmp_path)
    counts = pack_hand_crops(read_jsonl(tmp_path / "labels.jsonl"), tmp_path / "shards", box_scale=1.6,
                             neg_fraction=0.0)
    assert counts == {"a": 18, "b": 6}
    data = load_shards(sorted((tmp_path / "shards").glob("*.npz")))
    ds = HandCropDataset(data, 64, 4, 1.5, 1.6, (127.5,) * 3, (127.5,) * 3, augment=None)
    x, heat, mask, present, side, side_mask, pts = ds[0]
    assert x.shape == (3, 64, 64) and heat.shape == (21, 16, 16)
    assert mask.sum() == 21 and present == 1 and side_mask == 1
    # the crop is the tracker's crop: every keypoint inside, the heatmap peaks where the label is
    assert (pts > 0).all() and (pts < 63).all()
    k = 20
    y, x_ = np.unravel_index(heat[k].numpy().argmax(), (16, 16))
    assert abs(x_ * 4 + 1.5 - pts[k, 0]) <= 3 and abs(y * 4 + 1.5 - pts[k, 1]) <= 3
    aug = HandCropDataset(data, 64, 4, 1.5, 1.6, (127.5,) * 3, (127.5,) * 3, augment=CropAugment())
    assert not np.allclose(aug[0][0].numpy(), x.numpy())


def test_two_minute_cpu_training_run_lowers_the_loss(tmp_path):
    _write_dataset(tmp_path, n=40)
    pack_hand_crops(read_jsonl(tmp_path / "labels.jsonl"), tmp_path / "shards", box_scale=1.6, neg_fraction=0.3)
    cfg = TrainConfig(data=[str(tmp_path / "shards")], eval_sources=["b"], input_size=64, width=0.35,
                      epochs=4, samples_per_epoch=128, batch_size=16, lr=3e-3, warmup_steps=5, threads=1,
                      val_samples=32, out=str(tmp_path / "run"))
    onnx_path = fit(cfg)
    history = json.loads((tmp_path / "run" / "history.json").read_text())
    assert len(history) == 4
    assert history[-1]["loss"] < 0.7 * history[0]["loss"]
    assert (tmp_path / "run" / "training.png").stat().st_size > 1000
    assert set(history[-1]["val"]) >= {"pck@0.1", "pck@0.1/a", "pck@0.1 source mean"}  # per-source validation
    backend = OnnxRuntimeBackend(onnx_path)
    assert backend.meta.input_size == 64 and backend.meta.kind == "landmarks"
    out = backend.infer(np.zeros((2, 3, 64, 64), np.float32))
    assert out["heatmaps"].shape == (2, 21, 16, 16)

    # Going on from the exported ONNX (no checkpoint) starts where the first run ended, not afresh.
    again = replace(cfg, init=str(onnx_path), epochs=1, lr=1e-4, out=str(tmp_path / "run2"),
                    source_weights={"a": 2.0})  # and through the weighted sampler
    fit(again)
    first = json.loads((tmp_path / "run2" / "history.json").read_text())[0]
    assert first["loss"] < 0.5 * history[0]["loss"]
    assert first["loss"] < 1.5 * history[-1]["loss"]


def test_ema_run_saves_the_averaged_weights_keeps_the_raw_ones_and_resumes(tmp_path):
    """ema_decay: the checkpoint's state_dict (validated, exported) is the moving average, the raw
    weights travel beside it for resuming; a resumed run goes on from both."""
    import torch

    _write_dataset(tmp_path, n=40)
    pack_hand_crops(read_jsonl(tmp_path / "labels.jsonl"), tmp_path / "shards", box_scale=1.6, neg_fraction=0.3)
    cfg = TrainConfig(data=[str(tmp_path / "shards")], eval_sources=["b"], input_size=64, width=0.35,
                      epochs=1, samples_per_epoch=64, batch_size=16, lr=3e-3, warmup_steps=2, threads=1,
                      val_samples=16, out=str(tmp_path / "run"), ema_decay=0.5)
    fit(cfg)
    ckpt = torch.load(tmp_path / "run" / "last.pt", weights_only=False)
    name = next(k for k in ckpt["state_dict"] if k.endswith("weight"))
    ema, raw = ckpt["state_dict"][name], ckpt["raw_state_dict"][name]
    assert ema.shape == raw.shape and not torch.allclose(ema, raw)
    fit(replace(cfg, epochs=2))  # resumes at epoch 2 from the same folder
    history = json.loads((tmp_path / "run" / "history.json").read_text())
    assert [h["epoch"] for h in history] == [1, 2]
    assert history[1]["loss"] < 1.5 * history[0]["loss"]


def test_split_keeps_eval_sources_out_and_validates_on_a_fixed_share_of_real_training_sources(tmp_path):
    from train.loop import TrainConfig, _split, validation_mask

    for name, n in (("real", 400), ("synthetic", 300), ("heldout", 50)):
        np.savez(tmp_path / f"{name}.npz", images=np.zeros((n, 2, 2, 3), np.uint8),
                 side=np.arange(n, dtype=np.int32))
    train, val = _split(TrainConfig(data=[str(tmp_path)], eval_sources=["heldout"], val_fraction=0.25))
    names = lambda d: {int(i) for i in np.unique(d["source_index"])}  # noqa: E731  0 heldout, 1 real, 2 synthetic
    assert names(train) == {1, 2} and names(val) == {1}
    assert len(train["side"]) + len(val["side"]) == 700
    assert 0.1 < len(val["side"]) / 400 < 0.4
    again, val_again = _split(TrainConfig(data=[str(tmp_path)], eval_sources=["heldout"], val_fraction=0.25, seed=7))
    assert np.array_equal(val["side"], val_again["side"])  # the split does not follow the training seed
    m = validation_mask(1000, 0.3)
    assert all(len(set(m[i:i + 16])) == 1 for i in range(0, 1000, 16))  # whole blocks
    synth_train, synth_val = _split(TrainConfig(data=[str(tmp_path)], eval_sources=["heldout"],
                                                val_fraction=0.25, train_sources=["synthetic"]))
    assert names(synth_train) == {2} and np.array_equal(synth_val["side"], val["side"])
    with pytest.raises(SystemExit, match="no training or no validation"):
        _split(TrainConfig(data=[str(tmp_path)], eval_sources=["heldout"], train_sources=["nothing"]))


def test_source_weights_scale_a_sources_hands_and_leave_its_negatives_alone():
    from train.loop import sample_weights

    source = np.array(["wild", "wild", "plain", "plain", "synthetic"])
    present = np.array([True, False, True, True, True])
    w = sample_weights(source, present, {"wild": 3.0, "plain": 0.5})
    assert w.tolist() == [3.0, 1.0, 0.5, 0.5, 1.0]
    assert sample_weights(source, present, {}, negative_weight=2.0).tolist() == [1.0, 2.0, 1.0, 1.0, 1.0]
    with pytest.raises(ValueError, match="not in the data: \\['typo'\\]"):
        sample_weights(source, present, {"typo": 2.0})


def test_every_augmentation_knob_the_config_names_reaches_the_dataset():
    cfg = TrainConfig(p_key=0.6, p_hard_negative=0.12, p_motion_blur=0.3, motion_blur_max=31,
                      p_any_rotation=0.3, p_quarter_turn=0.2, p_negative_any_rotation=0.3)
    aug = augment(cfg)
    shared = {f.name for f in fields(CropAugment)} & {f.name for f in fields(TrainConfig)}
    assert {"p_motion_blur", "motion_blur_max", "p_any_rotation", "p_negative_any_rotation", "p_quarter_turn"} <= shared
    assert all(getattr(aug, n) == getattr(cfg, n) for n in shared)
    assert aug.p_flip == CropAugment().p_flip  # a knob the config does not name keeps its default


def test_hard_negative_scenes_can_leave_the_detectors_validation_rows_out(tmp_path):
    from train.loop import _scenes, validation_rows

    n = 200
    for name in ("alpha", "beta", "rf-hands-obb"):  # rf-hands-obb is an eval source: never used
        np.savez(tmp_path / f"{name}.npz", images=np.full((n, 4, 4, 3), len(name), np.uint8),
                 boxes=np.arange(n * 16, dtype=np.float32).reshape(n, 4, 4), n_boxes=np.ones(n, np.int8))
    cfg = TrainConfig(p_hard_negative=0.1, scene_data=str(tmp_path))
    every = _scenes(cfg)
    assert len(every["n_boxes"]) == 2 * n  # alpha and beta, not the eval source
    kept = _scenes(replace(cfg, scenes_skip_validation=True))
    val = validation_rows(np.full(n, "alpha"), cfg.eval_sources, cfg.val_fraction)
    assert 0 < val.sum() < n and len(kept["n_boxes"]) == 2 * (n - val.sum())
    # The rows kept are exactly alpha's and beta's training rows, in order.
    np.testing.assert_array_equal(kept["boxes"][: n - val.sum()], every["boxes"][:n][~val])
