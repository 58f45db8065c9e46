"""Headless OpenGL rendering of a posed hand with moderngl (EGL; Mesa llvmpipe on a CPU-only box).

One context, program and framebuffer per Renderer, reused for every image: creating a context
costs far more than drawing 2,500 triangles. Geometry arrives already in OpenCV camera space
(x right, y down, z forward), with pinhole intrinsics; the projection keeps image rows top-down so
the read-back needs no flip. The scene is drawn at `supersample` times the output size and
averaged down, which anti-aliases the silhouette and yields a soft coverage mask for compositing.
A second attachment stores each pixel's skinning joint (the vertex's heaviest joint, or the
forearm), which the labeller uses to tell a visible keypoint from one hidden behind another part.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

BACKGROUND_PART = 255
GL_HINT = ("no OpenGL context for synthetic rendering: needs `pip install moderngl` and EGL with a Mesa "
           "driver (Debian/Ubuntu: apt-get install libegl1 libgl1-mesa-dri)")

_VERTEX = """
#version 330
uniform mat4 proj;
in vec3 in_pos;
in vec3 in_normal;
in float in_palm;
in float in_part;
out vec3 v_pos;
out vec3 v_normal;
out float v_palm;
flat out float v_part;
void main() {
    v_pos = in_pos;
    v_normal = in_normal;
    v_palm = in_palm;
    v_part = in_part;
    gl_Position = proj * vec4(in_pos, 1.0);
}
"""
# Lambert diffuse + Blinn-Phong highlight in linear light, converted to sRGB on output.
_FRAGMENT = """
#version 330
uniform vec3 albedo;
uniform vec3 palm_albedo;
uniform vec3 light_dir;
uniform vec3 light_colour;
uniform vec3 ambient;
uniform float specular;
uniform float shininess;
in vec3 v_pos;
in vec3 v_normal;
in float v_palm;
flat in float v_part;
layout(location = 0) out vec4 colour;
layout(location = 1) out float part;
void main() {
    vec3 view = normalize(-v_pos);
    vec3 n = normalize(v_normal);
    n = dot(n, view) < 0.0 ? -n : n;
    vec3 base = mix(albedo, palm_albedo, v_palm);
    vec3 halfway = normalize(light_dir + view);
    vec3 lin = base * (ambient + light_colour * max(dot(n, light_dir), 0.0))
             + light_colour * specular * pow(max(dot(n, halfway), 0.0), shininess);
    colour = vec4(pow(clamp(lin, 0.0, 1.0), vec3(1.0 / 2.2)), 1.0);
    part = v_part / 255.0;
}
"""


@dataclass
class Shading:
    """Linear-light material and lighting; light_dir is a unit vector towards the light, camera space."""

    albedo: np.ndarray
    palm_albedo: np.ndarray
    light_dir: np.ndarray
    light_colour: np.ndarray
    ambient: np.ndarray
    specular: float
    shininess: float


@dataclass
class Frame:
    """rgb uint8[S, S, 3], alpha float32[S, S] coverage, part uint8[S*ss, S*ss] at render resolution."""

    rgb: np.ndarray
    alpha: np.ndarray
    part: np.ndarray


def projection(focal: float, size: int, near: float, far: float) -> np.ndarray:
    """OpenGL clip matrix for a pinhole camera with the principal point at the image centre."""
    p = np.zeros((4, 4))
    p[0, 0] = p[1, 1] = 2 * focal / size
    p[2, 2], p[2, 3] = (far + near) / (far - near), -2 * far * near / (far - near)
    p[3, 2] = 1.0
    return p


def create_context():
    """A standalone moderngl context, EGL first (headless); RuntimeError with one clear line otherwise."""
    try:
        import moderngl
    except ImportError as exc:
        raise RuntimeError(f"{GL_HINT} ({exc})") from None
    errors = []
    for kwargs in ({"backend": "egl"}, {}):
        try:
            return moderngl.create_standalone_context(require=330, **kwargs)
        except Exception as exc:  # moderngl raises plain Exception subclasses per backend
            errors.append(f"{kwargs or 'default'}: {exc}")
    raise RuntimeError(f"{GL_HINT} ({'; '.join(errors)})")


class Renderer:
    """Draws one mesh (hand + forearm) per call into a reused offscreen framebuffer."""

    def __init__(self, size: int, supersample: int = 2):
        self.size, self.ss = size, supersample
        self.ctx = create_context()
        self.program = self.ctx.program(vertex_shader=_VERTEX, fragment_shader=_FRAGMENT)
        side = size * supersample
        self.colour = self.ctx.texture((side, side), 4)
        self.parts = self.ctx.texture((side, side), 1, dtype="f1")
        self.fbo = self.ctx.framebuffer([self.colour, self.parts], self.ctx.depth_renderbuffer((side, side)))
        self._vbo = self._ibo = self._vao = None
        self._capacity = (0, 0)

    def _buffers(self, n_vertices: int, n_indices: int) -> None:
        """Grow the vertex/index buffers only when a bigger mesh arrives (normally once)."""
        if n_vertices <= self._capacity[0] and n_indices <= self._capacity[1]:
            return
        for obj in (self._vao, self._vbo, self._ibo):
            if obj is not None:
                obj.release()
        self._vbo = self.ctx.buffer(reserve=n_vertices * 32, dynamic=True)
        self._ibo = self.ctx.buffer(reserve=n_indices * 4, dynamic=True)
        self._vao = self.ctx.vertex_array(
            self.program, [(self._vbo, "3f 3f 1f 1f", "in_pos", "in_normal", "in_palm", "in_part")],
            index_buffer=self._ibo, index_element_size=4)
        self._capacity = (n_vertices, n_indices)

    def render(self, positions: np.ndarray, normals: np.ndarray, palm: np.ndarray, part: np.ndarray,
               faces: np.ndarray, focal: float, shading: Shading) -> Frame:
        """positions/normals float32[N, 3] in camera space (metres), palm/part float[N], faces uint32[M, 3]."""
        with self.ctx:  # make this context current: another Renderer in the process may have switched it
            rgba, parts = self._draw(positions, normals, palm, part, faces, focal, shading)
        parts = np.where(rgba[..., 3] > 0, parts, np.uint8(BACKGROUND_PART))  # clear() zeroed it
        small = cv2.resize(rgba, (self.size, self.size), interpolation=cv2.INTER_AREA) if self.ss > 1 else rgba
        return Frame(small[..., :3].copy(), small[..., 3].astype(np.float32) / 255.0, parts)

    def _draw(self, positions: np.ndarray, normals: np.ndarray, palm: np.ndarray, part: np.ndarray,
              faces: np.ndarray, focal: float, shading: Shading) -> tuple[np.ndarray, np.ndarray]:
        self._buffers(len(positions), faces.size)
        data = np.concatenate([positions, normals, palm[:, None], part[:, None]], 1).astype(np.float32)
        self._vbo.write(data.tobytes())
        self._ibo.write(faces.astype(np.uint32).tobytes())
        depth = positions[:, 2]
        near, far = max(0.005, 0.5 * float(depth.min())), 2.0 * float(depth.max())
        proj = projection(focal * self.ss, self.size * self.ss, near, far)
        self.program["proj"].write(proj.T.astype("f4").tobytes())  # GL wants column-major
        uniforms = {
            "albedo": shading.albedo, "palm_albedo": shading.palm_albedo, "light_dir": shading.light_dir,
            "light_colour": shading.light_colour, "ambient": shading.ambient,
        }
        for name, value in uniforms.items():
            self.program[name].value = tuple(float(v) for v in value)
        self.program["specular"].value = shading.specular
        self.program["shininess"].value = shading.shininess
        self.fbo.use()
        self.fbo.clear(0.0, 0.0, 0.0, 0.0, depth=1.0)
        self.ctx.enable(self.ctx.DEPTH_TEST)
        self._vao.render(vertices=faces.size)
        side = self.size * self.ss
        rgba = np.frombuffer(self.fbo.read(components=4, attachment=0), np.uint8).reshape(side, side, 4)
        parts = np.frombuffer(self.fbo.read(components=1, attachment=1, dtype="f1"), np.uint8).reshape(side, side)
        return rgba, parts

    def release(self) -> None:
        self.ctx.release()
