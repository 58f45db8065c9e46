"""Crop-dataset augmentations: green-screen keying must not touch the hand; hard negatives, face
negatives and motion blur."""
import cv2
import numpy as np

from train.data.crops import (
    CropAugment,
    HandCropDataset,
    green_screen_mask,
    hard_negative_box,
    motion_blur,
    pack_face_crops,
    person_crop_box,
)


def _data():
    """Sample 0: a skin-coloured square on green (a keyable shot); sample 1: a grey background."""
    images = np.zeros((2, 64, 64, 3), np.uint8)
    images[0] = (40, 200, 40)            # BGR green screen
    images[0, 16:48, 16:48] = (90, 140, 210)  # skin-ish
    images[1] = (128, 128, 128)
    kps = np.zeros((2, 21, 2), np.float32)
    kps[0] = np.stack(np.meshgrid(np.linspace(20, 44, 7), np.linspace(20, 44, 3)), -1).reshape(-1, 2)
    return {"images": images, "keypoints": kps, "visible": np.array([[True] * 21, [False] * 21]),
            "side": np.array([0, -1], np.int8), "present": np.array([True, False])}


def test_green_screen_mask_finds_green_not_skin():
    mask = green_screen_mask(_data()["images"][0])
    assert mask[2, 2] > 0.99 and mask[32, 32] < 0.01


def test_keying_replaces_the_green_with_a_real_background_and_keeps_the_hand():
    data = _data()
    aug = CropAugment(p_key=1.0, p_axis_aligned=1.0, p_any_rotation=0, rot_sigma_deg=0, scale_sigma=0,
                      shift_sigma=0, p_flip=0, colour=0, p_blur=0, noise_max=0, p_gray=0)
    ds = HandCropDataset(data, 64, 4, 1.5, 2.5, (0, 0, 0), (1, 1, 1), aug, keyable=np.array([True, False]))
    x = ds[0][0].numpy().transpose(1, 2, 0)  # RGB, unnormalised (mean 0, std 1)
    assert np.allclose(x[1, 1], 128, atol=2)                 # green became the grey background
    assert np.allclose(x[32, 32], (210, 140, 90), atol=2)    # the hand is untouched
    plain = HandCropDataset(data, 64, 4, 1.5, 2.5, (0, 0, 0), (1, 1, 1), aug, keyable=np.array([False, False]))
    assert np.allclose(plain[0][0].numpy().transpose(1, 2, 0)[1, 1], (40, 200, 40), atol=2)


def test_hard_negative_boxes_hold_no_hand_or_are_far_too_wide():
    boxes = np.array([[40.0, 40.0, 80.0, 90.0], [150.0, 120.0, 190.0, 170.0]])
    rng = np.random.default_rng(0)
    empty = wide = 0
    for _ in range(200):
        box = hard_negative_box(boxes, 256, 1.6, rng)
        if box is None:
            continue
        (cx, cy), side = box
        inside = [(x0 < cx + side / 2 and x1 > cx - side / 2 and y0 < cy + side / 2 and y1 > cy - side / 2)
                  for x0, y0, x1, y1 in boxes]
        if not any(inside):
            empty += 1
        else:  # a box touching a hand must be at least 3.5 x 1.6 the hand's size (or the whole frame)
            assert side >= min(3.5 * 1.6 * 40 - 1e-6, 256)
            wide += 1
    assert empty > 40 and wide > 40


def test_hard_negatives_are_labelled_no_hand_with_nothing_to_learn_from():
    data = _data()
    scenes = {"images": np.full((1, 256, 256, 3), 90, np.uint8),
              "boxes": np.array([[[100.0, 100.0, 140.0, 150.0]]], np.float32), "n_boxes": np.array([1], np.int8)}
    ds = HandCropDataset(data, 64, 4, 1.5, 2.5, (0, 0, 0), (1, 1, 1), CropAugment(p_hard_negative=1.0), scenes=scenes)
    seen = 0
    for epoch in range(5):
        ds.epoch = epoch
        _, _, kp_mask, present, _, side_mask, _ = ds[0]
        if present.item() == 0:
            seen += 1
            assert kp_mask.sum() == 0 and side_mask.item() == 0
    assert seen >= 3  # hard_negative_box can fail (returns None), rarely
    plain = HandCropDataset(data, 64, 4, 1.5, 2.5, (0, 0, 0), (1, 1, 1), CropAugment(p_hard_negative=1.0))
    assert plain[0][3].item() == 1  # without scenes a hand sample stays a hand


def test_motion_blur_smears_along_a_line_and_keeps_brightness():
    x = np.zeros((33, 33, 3), np.float32)
    x[16, 16] = 255
    y = motion_blur(x, np.random.default_rng(3))
    assert y.shape == x.shape
    assert abs(y.sum() - x.sum()) < 1e-2 * x.sum()
    lit = np.argwhere(y[..., 0] > 1)
    assert len(lit) >= 3  # spread over several pixels ...
    centred = lit - lit.mean(0)
    assert np.linalg.svd(centred, compute_uv=False)[1] < 1.0  # ... along one line


def test_motion_blur_streak_length_is_capped_by_max_length():
    x = np.zeros((65, 65, 3), np.float32)
    x[32, 32] = 255
    rng = np.random.default_rng(0)

    def extent(y):  # longest side of the smeared dot's box
        lit = np.argwhere(y[..., 0] > 1)  # (large kernels go through a DFT: tiny values elsewhere)
        return (lit.max(0) - lit.min(0)).max() + 1

    short = [extent(motion_blur(x, rng)) for _ in range(50)]
    long = [extent(motion_blur(x, rng, max_length=31)) for _ in range(50)]
    assert max(short) <= 11 and max(long) <= 31 and max(long) > 20


def test_face_crops_are_no_hand_samples_centred_near_the_face_and_skip_faces_touching_a_hand(tmp_path):
    image = np.zeros((200, 300, 3), np.uint8)
    image[40:80, 40:80] = 255                      # the "face" the teacher reported
    cv2.imwrite(str(tmp_path / "a.jpg"), image)
    faces = [{"image": "a.jpg", "source": "people", "faces": [
        {"box": [40, 40, 80, 80], "score": 0.9},     # kept
        {"box": [200, 100, 240, 140], "score": 0.9},  # touches the hand below: skipped
        {"box": [120, 20, 150, 50], "score": 0.5}]}]  # too unsure: skipped
    hand = np.array([[230.0, 130.0], [280.0, 190.0]])
    counts = pack_face_crops(faces, {"a.jpg": [hand]}, tmp_path, tmp_path / "out", num_keypoints=21,
                             ctx_size=64, copies=2, seed=0)
    assert counts == {"people": 2}
    shard = np.load(tmp_path / "out" / "people.npz")
    assert shard["images"].shape == (2, 64, 64, 3) and shard["keypoints"].shape == (2, 21, 2)
    assert not shard["present"].any() and (shard["side"] == -1).all() and not shard["visible"].any()
    # The face (white) fills the middle of each context crop (crop side 1.1-1.8x the face, offset
    # at most 15% of it; the context crop is twice the crop).
    assert all(img[28:36, 28:36].mean() > 200 for img in shard["images"])


def test_person_crops_sit_below_the_face_and_keep_only_hands_too_small_to_be_their_crop(tmp_path):
    image = np.full((400, 400, 3), 60, np.uint8)
    image[40:80, 180:220] = 255                     # the face
    image[200:400, 100:300] = 160                   # the torso below it
    cv2.imwrite(str(tmp_path / "a.jpg"), image)
    cv2.imwrite(str(tmp_path / "b.jpg"), image)
    face = {"box": [180, 40, 220, 80], "score": 0.9}
    faces = [{"image": n, "source": "people", "width": 400, "height": 400, "faces": [face]} for n in ("a.jpg", "b.jpg")]
    small = np.array([[150.0, 150.0], [165.0, 165.0]])  # box 15 px: its crop (24 px) a tenth of the person crop
    big = np.array([[120.0, 120.0], [220.0, 220.0]])    # box 100 px: its crop is no "too wide" negative
    counts = pack_face_crops(faces, {"a.jpg": [small], "b.jpg": [big]}, tmp_path, tmp_path / "out",
                             num_keypoints=21, ctx_size=64, copies=4, people=True, box_scale=1.6, seed=0)
    assert counts == {"people": 4}                  # every copy of a.jpg's face, none of b.jpg's
    shard = np.load(tmp_path / "out" / "people.npz")
    assert not shard["present"].any()
    for img in shard["images"]:                     # the face (white) in the upper half, left-right near the middle
        ys, xs = np.nonzero(img.min(axis=2) > 240)
        assert ys.size and ys.mean() < 31.5 and abs(xs.mean() - 31.5) < 16
    rng = np.random.default_rng(0)
    for _ in range(100):                            # 3.5-6.5x the face, centred below it
        centre, side = person_crop_box(np.array([180.0, 40, 220, 80]), rng)
        assert 140 <= side <= 260 and centre[1] > 60 and abs(centre[0] - 200) <= side / 4


def test_no_hand_rows_turn_like_hand_crops_unless_told_to_turn_freely():
    """Photos are upright and so are most hands: 'no hand' rows turned freely while hand crops stay
    upright would teach the presence head that a turned picture is no hand."""
    data = _data()

    def angles(p_negative: float, row: int) -> np.ndarray:
        aug = CropAugment(p_any_rotation=0.0, rot_sigma_deg=0.0, p_negative_any_rotation=p_negative)
        ds = HandCropDataset(data, 64, 4, 1.5, 2.5, (0, 0, 0), (1, 1, 1), aug)
        return np.array([ds.crop_params(row, np.random.default_rng(s))[2] for s in range(50)])

    assert np.ptp(angles(1.0, 1)) > 3.0               # default (as until cycle 16): any angle
    assert not angles(0.0, 1).any()                   # like the hand crops here: upright
    assert np.array_equal(angles(1.0, 0), angles(0.0, 0))  # a hand row never takes the negatives' knob
    assert 0 < np.count_nonzero(angles(0.5, 1)) < 50


def test_too_wide_box_holds_the_hand_at_3_5_to_6_times_its_crop_or_the_frame():
    from train.data.crops import too_wide_box

    rng = np.random.default_rng(0)
    box = np.array([100.0, 120.0, 140.0, 150.0], np.float32)  # a 40-px hand: crop 64 px at box scale 1.6
    for _ in range(50):
        centre, side = too_wide_box(box, 1000, 1.6, rng)
        assert 3.5 * 64 <= side <= 6 * 64
        assert np.all(np.abs((box[:2] + box[2:]) / 2 - centre) <= 0.3 * side + 1e-6)  # the hand inside
    assert too_wide_box(box, 200, 1.6, rng)[1] == 200  # never wider than the frame
