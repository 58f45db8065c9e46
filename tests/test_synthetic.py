"""Synthetic renders of the MIT rigged hands: rig conventions, labels, visibility, determinism, CLI.

Rendering tests need moderngl, pygltflib, the hand models in ../shared/data/hand-model and an
OpenGL context (EGL/Mesa); each is skipped with the reason when missing.
"""
from __future__ import annotations

import cv2
import numpy as np
import pytest

pytest.importorskip("pygltflib", reason="synthetic renders need the synth extra (pygltflib)")

from train.data.synthetic.generator import MODEL_DIR  # noqa: E402
from train.data.synthetic.handmodel import KEYPOINT_JOINTS, TEACHER_SHIFT, TIP_JOINTS, WRIST_TOWARD_KNUCKLE, load_pair  # noqa: E402
from train.data.synthetic.kinematics import axis_angle, forward_kinematics, keypoints, skin  # noqa: E402
from train.data.synthetic.scene import BACK_VIEW, PALM_VIEW, Framing, build_scene  # noqa: E402

pytestmark = pytest.mark.skipif(not (MODEL_DIR / "left.glb").is_file(), reason=f"no hand models in {MODEL_DIR}")
THUMB_TIP, INDEX_MCP, MIDDLE_MCP, PINKY_MCP = 4, 5, 9, 17
TIPS, MCPS = [8, 12, 16, 20], [5, 9, 13, 17]
CENTRED = Framing(fov_deg=40.0, fill=0.6, offset=(0.0, 0.0))


@pytest.fixture(scope="module")
def models():
    return load_pair(str(MODEL_DIR))


@pytest.fixture(scope="module")
def generator():
    pytest.importorskip("moderngl", reason="synthetic renders need the synth extra (moderngl)")
    from train.data.synthetic.generator import SyntheticGenerator

    try:
        gen = SyntheticGenerator(seed=7, size=128)
    except RuntimeError as exc:  # no GL context on this machine
        pytest.skip(str(exc))
    yield gen
    gen.close()


def rest(model) -> np.ndarray:
    return np.tile(np.eye(3), (len(model.names), 1, 1))


def curl(model, mcp: float = 90, pip: float = 100, dip: float = 65) -> np.ndarray:
    """The four fingers flexed by these angles (degrees; the default is a fist), thumb at rest."""
    rot = rest(model)
    for finger in ("index", "middle", "ring", "pinky"):
        for joint, deg in (("phalanx-proximal", mcp), ("phalanx-intermediate", pip), ("phalanx-distal", dip)):
            rot[model.index(f"{finger}-finger-{joint}")] = axis_angle(np.array([-1.0, 0, 0]), np.radians(deg))
    return rot


def test_rig_maps_21_joints_by_name_and_skins_to_the_bind_pose(models):
    for side, m in models.items():
        # each label point rides on its joint, or on the joint before for a point shifted back
        expected = [m.names[m.parents[m.index(n)]] if TEACHER_SHIFT.get(k, 0) < 0 and n not in TIP_JOINTS else n
                    for k, n in enumerate(KEYPOINT_JOINTS)]
        assert [m.names[j] for j in m.keypoint_joints] == expected
        world = forward_kinematics(m, rest(m), np.eye(4))
        np.testing.assert_allclose(world, m.bind, atol=1e-6)
        verts, _ = skin(m, world)
        np.testing.assert_allclose(verts, m.positions, atol=1e-6)
        # The middle tip label sits at the end of the fingertip (the joint itself is ~12 mm short),
        # less the teacher's shift: the farthest vertex along the distal bone is that far past it.
        kp = keypoints(m, world)
        tip_joint = world[m.index("middle-finger-tip"), :3, 3]
        distal = (kp[12] - tip_joint) / np.linalg.norm(kp[12] - tip_joint)
        beyond = ((m.positions - kp[12]) @ distal).max()
        assert abs(beyond + TEACHER_SHIFT[12] * m.hand_length) < 0.001, side
        assert 0.15 < m.hand_length < 0.25, side  # an adult hand, in metres


def test_wrist_label_sits_between_the_wrist_joint_and_the_knuckles_and_bends_with_the_hand(models):
    """The teacher's wrist convention (handmodel.WRIST_TOWARD_KNUCKLE of the way to the middle
    knuckle), kept when the wrist joint turns the hand: the label is fixed to the palm."""
    for side, m in models.items():
        pose = curl(m, mcp=40, pip=30, dip=20)
        pose[m.index("wrist")] = axis_angle(np.array([0.6, 0.8, 0.0]), np.deg2rad(50))
        world = forward_kinematics(m, pose, np.eye(4))
        joint, knuckle = world[m.index("wrist"), :3, 3], world[m.index("middle-finger-phalanx-proximal"), :3, 3]
        np.testing.assert_allclose(keypoints(m, world)[0], joint + WRIST_TOWARD_KNUCKLE * (knuckle - joint),
                                   atol=1e-9, err_msg=side)


def test_teacher_shifts_keep_points_on_their_bones_when_the_fingers_bend(models):
    """A knuckle moved along the finger, a finger joint moved back towards the previous one: on
    the bone (the segment between the two joint centres), at the shift's distance, in a bent pose."""
    for side, m in models.items():
        world = forward_kinematics(m, curl(m, mcp=50, pip=60, dip=40), np.eye(4))
        kp = keypoints(m, world)
        for k, share in TEACHER_SHIFT.items():
            if KEYPOINT_JOINTS[k] in TIP_JOINTS:
                continue
            joint = m.index(KEYPOINT_JOINTS[k])
            at = world[joint, :3, 3]
            other = world[m.parents[joint], :3, 3] if share < 0 else world[m.index(KEYPOINT_JOINTS[k + 1]), :3, 3]
            towards = (other - at) / np.linalg.norm(other - at)
            np.testing.assert_allclose(kp[k], at + towards * abs(share) * m.hand_length, atol=2e-4,
                                       err_msg=f"{side} {KEYPOINT_JOINTS[k]}")


def test_left_and_right_models_are_mirror_images(models):
    left = keypoints(models["left"], forward_kinematics(models["left"], rest(models["left"]), np.eye(4)))
    right = keypoints(models["right"], forward_kinematics(models["right"], rest(models["right"]), np.eye(4)))
    mirrored = left * [-1, 1, 1]
    assert np.abs((mirrored - mirrored[0]) - (right - right[0])).max() < 0.006  # metres


def test_flexion_bends_fingers_towards_the_palm(models):
    for side, m in models.items():
        wrist = m.bind[m.index("wrist")]
        palm_normal = -wrist[:3, 1]  # +Y is the back of the hand
        open_kp = keypoints(m, forward_kinematics(m, rest(m), np.eye(4)))
        bent_kp = keypoints(m, forward_kinematics(m, curl(m, mcp=60, pip=0, dip=0), np.eye(4)))
        moved = (bent_kp[TIPS] - open_kp[TIPS]) @ palm_normal
        assert (moved > 0.02).all(), (side, moved)


@pytest.mark.parametrize("side,thumb_left", [("left", True), ("right", False)])
def test_palm_view_puts_the_thumb_on_the_anatomical_side(models, side, thumb_left):
    """Palm to the camera, fingers up: a left hand's thumb is on the image's left, a right's on its right."""
    scene = build_scene(models[side], rest(models[side]), np.random.default_rng(0), 256, CENTRED, PALM_VIEW)
    uv = scene.project(scene.keypoints)
    assert uv[MIDDLE_MCP, 1] < uv[0, 1]  # fingers up
    assert (uv[THUMB_TIP, 0] < uv[PINKY_MCP, 0]) == thumb_left
    assert (uv[INDEX_MCP, 0] < uv[PINKY_MCP, 0]) == thumb_left
    # ...and the palm really faces the camera: the palm-side vertices are the nearer ones.
    hand = slice(0, len(models[side].palm))
    depth = scene.positions[hand, 2]
    palmar = models[side].palm > 0.5
    assert depth[palmar].mean() < depth[~palmar].mean()


def test_labels_are_21_finite_points_with_coco_visibility(generator):
    for i in range(6):
        s = generator.sample(i)
        assert s.image.shape == (128, 128, 3) and s.image.dtype == np.uint8
        assert s.hand["side"] in ("left", "right")
        kp = np.asarray(s.hand["keypoints"], np.float64)
        assert kp.shape == (21, 3) and np.isfinite(kp).all()
        assert set(kp[:, 2]) <= {0, 1, 2}
        inside = ((kp[:, :2] >= -0.5) & (kp[:, :2] <= 127.5)).all(1)
        np.testing.assert_array_equal(inside, kp[:, 2] > 0)


def test_projected_wrist_lies_on_the_rendered_hand(generator, models):
    rng = np.random.default_rng(3)
    from train.data.synthetic.appearance import sample_shading
    from train.data.synthetic.pose import sample_rotations
    from train.data.synthetic.scene import sample_framing, sample_view

    for _ in range(8):
        m = models[("left", "right")[rng.integers(2)]]
        framing = Framing(sample_framing(rng).fov_deg, rng.uniform(0.4, 0.7), tuple(rng.uniform(-0.8, 0.8, 2)))
        scene = build_scene(m, sample_rotations(m, rng), rng, 128, framing, sample_view(rng))
        frame = generator.renderer.render(scene.positions, scene.normals, scene.palm, scene.part, scene.faces,
                                          scene.focal, sample_shading(rng))
        x, y = np.round(scene.project(scene.keypoints[:1])[0]).astype(int)
        assert frame.alpha[y, x] > 0.99
        assert frame.alpha.mean() < 0.9  # and the image is not simply all hand


def test_fist_from_the_back_hides_the_fingertips_but_not_the_knuckles(generator, models):
    from train.data.synthetic.appearance import sample_shading
    from train.data.synthetic.labels import allowed_parts, label_hand

    for side, m in models.items():
        rng = np.random.default_rng(1)
        scene = build_scene(m, curl(m), rng, 128, CENTRED, BACK_VIEW)
        frame = generator.renderer.render(scene.positions, scene.normals, scene.palm, scene.part, scene.faces,
                                          scene.focal, sample_shading(rng))
        v = np.array(label_hand(scene, allowed_parts(m), frame.part, generator.renderer.ss))[:, 2]
        assert (v[TIPS] == 1).all(), (side, v)
        assert (v[MCPS] == 2).all(), (side, v)
        assert v[0] == 2


def test_same_seed_same_labels_and_image_other_seed_differs(generator):
    from train.data.synthetic.generator import SyntheticGenerator

    again = SyntheticGenerator(seed=7, size=128)
    other = SyntheticGenerator(seed=8, size=128)
    try:
        a, b, c = generator.sample(2), again.sample(2), other.sample(2)
    finally:
        again.close()
        other.close()
    assert a.hand == b.hand
    np.testing.assert_array_equal(a.image, b.image)
    assert a.hand["keypoints"] != c.hand["keypoints"]


def test_cli_writes_images_and_readable_labels(generator, tmp_path, capsys):
    import cv2

    from train.data.records import read_jsonl
    from train.data.synthetic.__main__ import main

    assert main(["--out", str(tmp_path), "--count", "3", "--seed", "1", "--size", "96", "--workers", "1"]) == 0
    assert "images/s" in capsys.readouterr().out
    records = read_jsonl(tmp_path / "labels.jsonl")
    assert [r.image.name for r in records] == ["000000.jpg", "000001.jpg", "000002.jpg"]
    for r in records:
        assert r.source == "synthetic" and len(r.hands) == 1 and r.hands[0].keypoints.shape == (21, 2)
        assert cv2.imread(str(r.image)).shape == (96, 96, 3)


def test_no_gl_context_is_one_clear_error(monkeypatch, tmp_path, capsys):
    moderngl = pytest.importorskip("moderngl", reason="synthetic renders need the synth extra (moderngl)")
    from train.data.synthetic.__main__ import main

    def no_context(**kwargs):
        raise Exception("eglInitialize failed")

    monkeypatch.setattr(moderngl, "create_standalone_context", no_context)
    assert main(["--out", str(tmp_path), "--count", "1"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no OpenGL context" in err[0] and "eglInitialize failed" in err[0]


def test_background_photos_never_come_from_held_out_sources():
    """Renders are training data: a held-out source's rooms and people behind a rendered hand
    would make the held-out evaluation less than unseen."""
    from train.data.splits import EVAL_SOURCES
    from train.data.synthetic.background import REAL, Backgrounds

    if not REAL.is_dir():
        pytest.skip(f"no real photos in {REAL}")
    photos = Backgrounds.default().photos
    assert photos, "no scene photos found"
    assert {p.relative_to(REAL).parts[0] for p in photos}.isdisjoint(EVAL_SOURCES)


def test_sampled_thumbs_fold_across_the_palm_about_as_often_as_real_hands_do(models):
    """Real training hands put the thumb's tip within half a palm of the ring knuckle in 38-54% of
    cases (hagrid, sign-digits); the renders must reach there too, and not always."""
    from train.data.synthetic.pose import sample_rotations

    rng = np.random.default_rng(0)
    near = []
    for i in range(300):
        m = models[("left", "right")[i % 2]]
        kp = keypoints(m, forward_kinematics(m, sample_rotations(m, rng), np.eye(4)))
        palm = np.linalg.norm(kp[9] - kp[0])
        near.append(np.linalg.norm(kp[4] - kp[13]) < 0.5 * palm)
    assert 0.3 < np.mean(near) < 0.6


def test_face_centred_backgrounds_put_the_face_behind_the_hand_and_avoid_real_hands(tmp_path):
    """A face-centred crop holds the face near its middle and never a labelled hand's box."""
    from train.data.synthetic.background import Backgrounds

    (tmp_path / "src").mkdir()
    photo = np.zeros((400, 400, 3), np.uint8)
    photo[100:160, 100:160] = (0, 0, 255)   # the "face"
    photo[300:380, 300:380] = (0, 255, 0)   # a real hand, which must stay out
    cv2.imwrite(str(tmp_path / "src" / "a.png"), photo)
    path = tmp_path / "src" / "a.png"
    bg = Backgrounds([path], {"src/a.png": [(290.0, 290.0, 390.0, 390.0)]}, tmp_path,
                     {"src/a.png": [(100.0, 100.0, 160.0, 160.0)]})
    rng = np.random.default_rng(0)
    for _ in range(30):
        crop = bg._photo_crop(rng, 64, on_face=True)
        assert crop is not None
        assert (crop[26:38, 26:38, 2] > 200).mean() > 0.5   # face in the middle
        assert (crop[..., 1] > 200).mean() < 0.02            # no hand
    plain = Backgrounds([path], {"src/a.png": [(290.0, 290.0, 390.0, 390.0)]}, tmp_path)
    assert not plain.face_photos and plain.sample(rng, 32).shape == (32, 32, 3)
