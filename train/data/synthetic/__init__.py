"""Synthetic training images: the MIT rigged hands (../shared/data/hand-model) posed at random,
given a forearm, skin tone, light, camera, background, occluders and camera noise, rendered with
moderngl (headless EGL; Mesa llvmpipe on the CPU), with exact 21-point labels.

    python -m train.data.synthetic --out DIR --count N --seed S [--size 256] [--backgrounds DIR]

Pipeline: handmodel (glTF -> arrays) -> pose (joint angles) -> kinematics (FK + skinning) ->
scene (forearm, view, framing) -> render (GL) -> augment (background, occluders, camera) ->
labels (projection + visibility); generator ties one image together, pool runs workers.
"""
