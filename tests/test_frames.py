"""Detector targets: each hand in view gets exactly one positive centre cell with its box size."""
import numpy as np
import pytest

from train.data.frames import FrameDataset
from train.errors import TrainInputError


def _data(n=6, size=64, seed=0):
    rng = np.random.default_rng(seed)
    boxes = np.zeros((n, 4, 4), np.float32)
    counts = rng.integers(1, 4, n)
    for i, c in enumerate(counts):
        for j in range(c):
            x0, y0 = rng.uniform(2, 40, 2)
            boxes[i, j] = [x0, y0, x0 + rng.uniform(8, 20), y0 + rng.uniform(8, 20)]
    return {"images": rng.integers(0, 255, (n, size, size, 3), dtype=np.uint8), "boxes": boxes,
            "n_boxes": counts.astype(np.int8)}


def test_every_box_gets_one_positive_cell_with_its_size():
    data = _data()
    ds = FrameDataset(data, input_size=64, stride=4, mean=(127.5,) * 3, std=(127.5,) * 3, augment=None)
    for i in range(len(ds)):
        _, centres, sizes, mask = ds[i]
        n = int(data["n_boxes"][i])
        peaks = np.argwhere(centres[0].numpy() == 1.0)
        assert len(peaks) == n  # boxes are apart enough here not to share a cell
        for y, x in peaks:
            assert mask[0, y, x] == 1
            w, h = sizes[0, y, x].item() * 64, sizes[1, y, x].item() * 64
            b = data["boxes"][i][:n]
            assert np.isclose(b[:, 2] - b[:, 0], w, atol=0.5).any() and np.isclose(b[:, 3] - b[:, 1], h, atol=0.5).any()


def test_mosaic_augmented_samples_keep_targets_consistent():
    ds = FrameDataset(_data(), input_size=64, stride=4, mean=(127.5,) * 3, std=(127.5,) * 3,
                      augment=__import__("train.data.crops", fromlist=["CropAugment"]).CropAugment(), p_mosaic=1.0)
    x, centres, sizes, mask = ds[0]
    assert x.shape == (3, 64, 64) and centres.shape == (1, 16, 16)
    assert (mask.numpy() > 0).sum() >= (centres.numpy() == 1.0).sum()
    assert ((sizes.numpy() > 0) <= (mask.numpy() > 0)).all()


def test_quarter_turned_frames_keep_each_box_on_its_hand():
    """A bright square is the only 'hand': after any quarter turn the positive cell stays on it."""
    from train.data.crops import CropAugment

    data = _data(n=1)
    data["images"][:] = 0
    data["images"][0, 26:36, 24:44] = 255  # a non-square box near the centre
    data["boxes"][0, 0] = [24, 26, 44, 36]
    data["n_boxes"][:] = 1
    aug = CropAugment(p_quarter_turn=1.0, p_flip=0.0, colour=0.0, p_blur=0.0, noise_max=0.0, p_gray=0.0)
    ds = FrameDataset(data, input_size=64, stride=4, mean=(0,) * 3, std=(255,) * 3, augment=aug, p_mosaic=0.0)
    shapes = set()
    for epoch in range(8):
        ds.epoch = epoch
        x, centres, sizes, _ = ds[0]
        (y, xx), = np.argwhere(centres[0].numpy() == 1.0)
        bright = x[0].numpy() > 0.5
        assert bright[y * 4 + 1, xx * 4 + 1]  # the centre cell lies on the square
        w, h = sizes[0, y, xx].item(), sizes[1, y, xx].item()
        shapes.add(w > h)
    assert shapes == {True, False}  # some turns were odd quarter turns (width and height swap)


def test_green_screen_frames_are_keyed_onto_backgrounds_and_others_are_not():
    """p_key: a keyable frame's green goes, the background shows there, the hand's pixels and
    boxes stay; frames not shot on a green screen are left alone."""
    from train.data.crops import CropAugment

    class Plain:  # a Backgrounds stand-in: one colour
        def sample(self, rng, size):
            return np.full((size, size, 3), (200, 50, 10), np.uint8)

    data = _data(n=2)
    data["images"][:] = (0, 200, 0)                 # BGR green screen
    data["images"][:, 20:40, 20:40] = (90, 120, 200)  # a skin-coloured patch (the "hand")
    ds = FrameDataset(data, input_size=64, stride=4, mean=(127.5,) * 3, std=(127.5,) * 3,
                      augment=CropAugment(p_key=1.0), keyable=np.array([True, False]), backgrounds=Plain())
    rng = np.random.default_rng(0)
    keyed, boxes = ds._frame(0, rng)
    assert (keyed[2, 2] == (200, 50, 10)).all() and (keyed[30, 30] == (90, 120, 200)).all()
    np.testing.assert_array_equal(boxes, data["boxes"][0][: data["n_boxes"][0]])
    untouched, _ = ds._frame(1, rng)
    assert (untouched[2, 2] == (0, 200, 0)).all()


def test_zoomed_out_views_take_their_border_from_a_background_and_keep_the_frame():
    """p_fill_background: outside the frame comes from the background, inside stays the frame's
    pixels, and the hand's target cell still lies on the hand."""
    from train.data.crops import CropAugment

    class Plain:
        def sample(self, rng, size):
            return np.full((size, size, 3), (10, 200, 30), np.uint8)

    data = _data(n=1)
    data["images"][:] = 0
    data["images"][0, 16:48, 16:48] = 255
    data["boxes"][0, 0] = [16, 16, 48, 48]
    data["n_boxes"][:] = 1
    aug = CropAugment(zoom_out_max=3.0, p_fill_background=1.0, p_flip=0.0, colour=0.0, p_blur=0.0,
                      noise_max=0.0, p_gray=0.0, rot_sigma_deg=0.0)
    ds = FrameDataset(data, input_size=64, stride=4, mean=(0,) * 3, std=(1,) * 3, augment=aug, p_mosaic=0.0,
                      backgrounds=Plain())
    filled = 0
    for epoch in range(12):
        ds.epoch = epoch
        x, centres, _, _ = ds[0]
        rgb = x.numpy().transpose(1, 2, 0)
        is_bg = (np.abs(rgb - (30, 200, 10)) < 1).all(-1)  # the background, RGB after the BGR flip
        filled += is_bg.any()
        (y, xx), = np.argwhere(centres[0].numpy() == 1.0)
        assert not is_bg[y * 4 + 1, xx * 4 + 1] and rgb[y * 4 + 1, xx * 4 + 1].min() > 200
    assert filled >= 3  # views wider than the frame drew their border from the background


def test_false_boxes_weigh_the_no_hand_term_where_they_are_and_only_there():
    from train.data.crops import CropAugment

    data = _data(n=2)
    data["n_boxes"][:] = 1
    data["boxes"][:, 0] = [4, 4, 20, 20]                 # the hand, centre (12, 12)
    data["false_boxes"] = np.zeros((2, 8, 4), np.float32)
    data["false_boxes"][0, 0] = [40, 40, 56, 56]         # what a detector took for a hand, centre (48, 48)
    data["n_false"] = np.array([1, 0], np.int8)
    plain = FrameDataset(data, input_size=64, stride=4, mean=(127.5,) * 3, std=(127.5,) * 3, augment=None)
    assert len(plain[0]) == 4                            # no weight asked: the items as before
    ds = FrameDataset(data, input_size=64, stride=4, mean=(127.5,) * 3, std=(127.5,) * 3, augment=None,
                      false_box_weight=4.0)
    weight = ds[0][4][0].numpy()
    cell = lambda p: int(round((p + 0.5) / 4 - 0.5))  # noqa: E731
    assert np.isclose(weight[cell(48), cell(48)], 5.0)  # 1 + 4 at the false box's centre
    assert np.isclose(weight[cell(12), cell(12)], 1.0)  # the hand's cell keeps weight 1
    assert np.isclose(weight[0, -1], 1.0) and weight.min() >= 1.0
    assert np.allclose(ds[1][4].numpy(), 1.0)            # a frame with no false boxes: all 1
    aug = FrameDataset(data, input_size=64, stride=4, mean=(127.5,) * 3, std=(127.5,) * 3,
                       augment=CropAugment(), p_mosaic=1.0, false_box_weight=4.0)
    seen = []
    for epoch in range(8):  # mosaics carry the false boxes along with the hands
        aug.epoch = epoch
        seen.append(aug[0][4].numpy().max())
    assert max(seen) > 4.0 and min(seen) >= 1.0
    with pytest.raises(TrainInputError, match="mark-scenes"):  # a weight without false boxes is refused
        FrameDataset({k: v for k, v in data.items() if k not in ("false_boxes", "n_false")}, input_size=64,
                     stride=4, mean=(0,) * 3, std=(1,) * 3, augment=None, false_box_weight=1.0)


def test_focal_loss_counts_the_weighted_cells_more():
    import torch

    from train.loop import focal_loss

    logits = torch.zeros(1, 1, 8, 8)
    target = torch.zeros(1, 1, 8, 8)
    target[0, 0, 2, 2] = 1.0
    ones = torch.ones_like(target)
    assert torch.isclose(focal_loss(logits, target, ones), focal_loss(logits, target))
    heavy = ones.clone()
    heavy[0, 0, 6, 6] = 5.0
    plain, weighted = focal_loss(logits, target), focal_loss(logits, target, heavy)
    cell = -np.log(0.5) * 0.25                           # one "no hand" cell at p = 0.5, far from the hand
    assert np.isclose(weighted.item() - plain.item(), 4 * cell, rtol=1e-4)
