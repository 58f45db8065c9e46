"""Crop-dataset augmentations that must not touch the hand: green-screen keying."""
import numpy as np

from train.data.crops import CropAugment, HandCropDataset, green_screen_mask


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
