"""Parametric frontal face renderer: a speaker's face latents -> an RGB picture.

Plain numpy, no assets. Every part is a distance-like field evaluated on a pixel grid expressed
in face units (eye line at y = 0, y pointing down, the head about one unit tall), turned into
anti-aliased coverage and composited back to front with soft shading. The same face therefore
renders at any size, and a frame's pose (shift, zoom, tilt) is just a different grid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from speech2face.corpus.population import Speaker, uniform

# Colour ramps, sampled by a tone in [0, 1].
_SKIN = np.array(
    [
        [0.97, 0.85, 0.76],
        [0.89, 0.71, 0.58],
        [0.75, 0.54, 0.39],
        [0.53, 0.36, 0.24],
        [0.34, 0.23, 0.16],
    ]
)
_HAIR = np.array(
    [
        [0.07, 0.055, 0.05],
        [0.20, 0.13, 0.08],
        [0.40, 0.27, 0.15],
        [0.62, 0.47, 0.28],
        [0.86, 0.75, 0.52],
    ]
)
_IRIS = np.array(
    [
        [0.20, 0.12, 0.07],
        [0.38, 0.23, 0.11],
        [0.47, 0.40, 0.20],
        [0.32, 0.46, 0.33],
        [0.37, 0.51, 0.63],
        [0.32, 0.54, 0.80],
    ]
)
_GREY = np.array([0.80, 0.80, 0.79], np.float32)
_CLOTHES = np.array(
    [
        [0.16, 0.22, 0.38],
        [0.42, 0.43, 0.45],
        [0.50, 0.16, 0.20],
        [0.33, 0.38, 0.24],
        [0.90, 0.89, 0.86],
        [0.12, 0.12, 0.13],
        [0.16, 0.42, 0.44],
        [0.72, 0.56, 0.26],
        [0.36, 0.46, 0.62],
    ],
    np.float32,
)
_BACKGROUND = np.array([0.74, 0.75, 0.77], np.float32)
_WARM = np.array([0.85, 1.0, 1.12], np.float32)  # shadows lose blue before red
_BLUSH = np.array([0.05, -0.03, -0.04], np.float32)
_LIP_RED = np.array([0.8, 0.34, 0.36], np.float32)
_SCLERA = np.array([0.94, 0.92, 0.89], np.float32)
_PUPIL = np.array([0.04, 0.03, 0.03], np.float32)
_GLINT = np.array([1.0, 1.0, 1.0], np.float32)
_MOUTH = np.array([0.25, 0.08, 0.08], np.float32)
_TEETH = np.array([0.8, 0.75, 0.68], np.float32)
_STYLES = ("straight", "parted", "curly", "tied")
_STYLE_EDGES = (0.35, 0.6, 0.8)  # uniform(hair_style) thresholds between _STYLES
_CROWN = 0.5  # top of the skull above the eye line, in face units
_EYE_LINE = -0.14  # image y of the eye line in the canonical frame
_LOOK_STREAM = 0xFACE  # per-speaker nuisance stream (grey onset, hairline, parting side)


def _ramp(table: np.ndarray, tone: float) -> np.ndarray:
    positions = np.linspace(0.0, 1.0, len(table))
    return np.array([np.interp(tone, positions, table[:, c]) for c in range(3)], np.float32)


def _greyed(color: np.ndarray, grey: float) -> np.ndarray:
    return color * (1 - grey) + _GREY * grey


def _clip(v: float, low: float = 0.0, high: float = 1.0) -> float:
    return min(max(v, low), high)


@dataclass(frozen=True)
class _Look:
    """Everything about a speaker's appearance, in face units and colours."""

    male: bool
    aging: float  # 0 until 30, 1 from 75
    scale: float
    width: float  # cheek half-width
    chin: float  # chin below the eye line
    taper: float  # jaw narrowing towards the chin
    square: float  # jaw superellipse power
    skin: np.ndarray
    hair: np.ndarray
    whisker: np.ndarray  # beard and moustache colour
    grey: float
    iris: np.ndarray
    eye_x: float
    eye_w: float
    eye_h: float
    crease: float
    brow_y: float
    brow_th: float
    brow_arch: float
    nose_y: float
    nose_w: float
    mouth_y: float
    mouth_w: float
    lip_up: float
    lip_low: float
    lips: np.ndarray
    style: str  # straight, parted, curly, tied
    hair_len: float  # lowest point of the hair below the eye line
    hair_vol: float
    hairline: float
    part: float  # x of the parting / fringe direction
    bald: int  # 0 full hair, 1 receding, 2 bald on top
    beard: int  # 0 none, 1 stubble (every man: at least a shaving shadow), 2 moustache, 3 full
    stubble: float  # opacity of the stubble
    beard_th: float


def _look(s: Speaker) -> _Look:
    """Turn a speaker's latents, gender, age and group profile into an appearance."""
    f, male = s.face, s.gender == "male"
    sex = 1.0 if male else -1.0
    aging = _clip((s.age - 30) / 45)
    nuisance = np.random.default_rng([s.seed, _LOOK_STREAM, _LOOK_STREAM]).random(3)
    hair_tone = _clip(s.profile.hair_tone + 0.12 * f["hair_tone"])
    skin = _ramp(_SKIN, _clip(s.profile.skin_tone + 0.1 * f["skin"]))
    width = 0.33 * (1 + 0.08 * f["fullness"] + 0.05 * f["jaw"] - 0.025 * f["face_length"])
    chin = 0.44 * (1 + 0.05 * f["face_length"] + 0.025 * sex + 0.04 * aging)
    nose_y = chin * (0.43 + 0.045 * f["nose_length"])
    lip = 0.025 * (1 + 0.22 * f["lip"] + 0.15 * f["fullness"]) * (0.85 if male else 1.05)
    lum = float(skin.mean())
    lips = 0.55 * skin + (0.3 if male else 0.5) * _LIP_RED * (0.5 + 0.6 * lum)

    length = f["hair_length"] + (-1.4 if male else 1.1)
    style = _STYLES[int(np.searchsorted(_STYLE_EDGES, uniform(f["hair_style"])))]
    hair_len = _clip(0.25 + 0.35 * length, -0.04, 1.05)
    if style == "tied" and hair_len < 0.2:
        style = "straight"
    balding = uniform(f["baldness"]) + 0.55 * aging - 0.15 if male else 0.0
    bald = 2 if balding > 1.0 else int(balding > 0.75)
    vol = {"curly": 0.06 + 0.05 * _clip(hair_len), "tied": 0.012}.get(style, 0.03)
    vol = 0.015 if bald == 2 else vol
    whiskers = uniform(f["facial_hair"]) + 0.2 * aging if male else 0.0
    grey = _clip((s.age - 32 - 16 * nuisance[0]) / 30) ** 0.8
    return _Look(
        male=male,
        aging=aging,
        scale=1.3 * math.exp(0.09 * f["size"]) * (1 + 0.025 * sex),
        width=width * (1 + 0.02 * sex),
        chin=chin,
        taper=_clip(0.34 - 0.08 * f["jaw"] - 0.1 * sex - 0.03 * f["fullness"], 0.1, 0.55),
        square=_clip(4.0 + 0.8 * f["jaw"] + 0.9 * sex + 0.3 * f["fullness"], 2.6, 6.5),
        skin=skin,
        hair=_ramp(_HAIR, hair_tone),
        whisker=_greyed(_ramp(_HAIR, hair_tone), min(1.2 * grey, 1.0)) * 0.8,
        grey=grey,
        iris=_ramp(_IRIS, _clip(0.08 + 0.2 * f["eye_tone"] + 0.9 * hair_tone)),
        eye_x=0.14 * (1 + 0.06 * f["eye_spacing"]),
        eye_w=0.064 * (1 + 0.05 * f["eye_size"]),
        eye_h=0.03 * math.exp(0.15 * f["eye_size"] + 0.3 * s.profile.eye_shape) * (1 - 0.1 * aging),
        crease=_clip(0.7 + 0.7 * s.profile.eye_shape + 0.2 * f["eye_size"], 0.05),
        brow_y=-0.085 + 0.012 * sex,
        brow_th=0.0085 * (1 + 0.35 * f["brow"]) * (1.6 if male else 0.9),
        brow_arch=0.016 * (1 + 0.2 * f["brow"]) * (0.5 if male else 1.2),
        nose_y=nose_y,
        nose_w=0.056 * (1 + 0.15 * f["nose_width"] + 0.15 * s.profile.nose_width + 0.03 * sex),
        mouth_y=nose_y + (chin - nose_y) * 0.37,
        mouth_w=0.1 * (1 + 0.1 * f["mouth_width"] + 0.04 * f["fullness"] + 0.03 * sex),
        lip_up=lip * (1 - 0.15 * aging),
        lip_low=lip * 1.35 * (1 - 0.1 * aging),
        lips=lips,
        style=style,
        hair_len=max(hair_len, 0.1) if bald == 2 else hair_len,
        hair_vol=vol,
        hairline=(-0.23, -0.33, -0.8)[bald] - 0.03 * nuisance[1] - 0.03 * (style == "tied"),
        part=(1 if nuisance[2] < 0.5 else -1) * (0.11 if style == "parted" else 0.0),
        bald=bald,
        beard=int(male) + int(whiskers > 0.68) + int(whiskers > 0.8),
        stubble=0.12 + 0.18 * _clip(whiskers),
        beard_th=0.01 + 0.12 * max(whiskers - 0.8, 0.0),
    )


# Craniofacial measurements of the canonical face, as a landmark-based measurement would take
# them (paper's Figure 5): widths as fractions of the image width, the ratio unitless.
GEOMETRY = (
    "face_width",
    "face_width_to_height",
    "jaw_width",
    "eye_spacing",
    "nose_width",
    "mouth_width",
)


def face_geometry(speaker: Speaker) -> dict[str, float]:
    """The speaker's craniofacial measurements (`GEOMETRY`) on the canonical frontal picture."""
    k = _look(speaker)
    image = k.scale / 2.0  # face units -> fractions of the image width
    t = k.mouth_y / k.chin
    jaw = k.width * (1.0 - k.taper * t * t)  # half-width of the jaw at the mouth
    return {
        "face_width": 2.0 * k.width * image,
        "face_width_to_height": 2.0 * k.width / (k.chin + _CROWN),
        "jaw_width": 2.0 * jaw * image,
        "eye_spacing": 2.0 * k.eye_x * image,
        "nose_width": 2.0 * k.nose_w * image,
        "mouth_width": 2.0 * k.mouth_w * image,
    }


@dataclass(frozen=True)
class _Pose:
    """One frame's variation: framing, light and expression."""

    shift: tuple[float, float] = (0.0, _EYE_LINE)
    zoom: float = 1.0
    tilt: float = 0.0
    light: tuple[float, float] = (0.0, -0.35)  # direction in the image plane, z is toward us
    exposure: float = 1.0
    tint: tuple[float, float, float] = (0.0, 0.0, 0.0)
    smile: float = 0.0
    mouth_open: float = 0.0
    blink: float = 0.0
    gaze: tuple[float, float] = (0.0, 0.0)
    clothes: int = 1  # row of _CLOTHES (plain grey); a different shirt in every video


def _pose(rng: np.random.Generator) -> _Pose:
    """Draw one frame's small random variation."""
    g = rng.normal(size=12)
    return _Pose(
        shift=(0.015 * g[0], _EYE_LINE + 0.015 * g[1]),
        zoom=math.exp(0.02 * g[2]),
        tilt=0.03 * g[3],
        light=(0.3 * g[4], -0.35 + 0.12 * g[5]),
        exposure=math.exp(0.025 * g[6]),
        tint=tuple(0.012 * g[7:10]),
        smile=_clip(0.1 + 0.3 * g[10]),
        mouth_open=rng.random() ** 1.5,
        blink=rng.uniform(0.4, 1.0) if rng.random() < 0.12 else 0.0,
        gaze=(_clip(0.15 * g[11], -0.35, 0.35), _clip(0.1 * rng.normal(), -0.3, 0.3)),
        clothes=int(rng.integers(len(_CLOTHES))),
    )


class _Canvas:
    """An image and its pixel grid in face units."""

    def __init__(self, size: int, scale: float, pose: _Pose):
        c = (np.arange(size, dtype=np.float32) + 0.5) * (2.0 / size) - 1.0
        self.c, self.size, self.scale, self.pose = c, size, scale, pose
        cos, sin = math.cos(pose.tilt) / scale, math.sin(pose.tilt) / scale
        dx, dy = c[None, :] - pose.shift[0], c[:, None] - pose.shift[1]
        self.x = dx * cos + dy * sin
        self.y = dy * cos - dx * sin
        self.px = 2.0 / (size * scale)
        self.img = np.empty((size, size, 3), np.float32)

    def window(self, x0: float, y0: float, x1: float, y1: float) -> tuple[slice, slice]:
        """Pixel rows and columns covering the face-unit box [x0, x1] x [y0, y1]."""
        cos, sin = self.scale * math.cos(self.pose.tilt), self.scale * math.sin(self.pose.tilt)
        corners = [(x, y) for x in (x0, x1) for y in (y0, y1)]
        ix = [(self.pose.shift[0] + cos * x - sin * y + 1) * self.size / 2 for x, y in corners]
        iy = [(self.pose.shift[1] + sin * x + cos * y + 1) * self.size / 2 for x, y in corners]
        return self._span(iy), self._span(ix)

    def _span(self, coords: list[float]) -> slice:
        return slice(max(int(min(coords)) - 1, 0), min(int(max(coords)) + 2, self.size))

    def grid(self, win: tuple[slice, slice]) -> tuple[np.ndarray, np.ndarray]:
        return self.x[win], self.y[win]

    def cover(self, d: np.ndarray, blur: float = 0.0) -> np.ndarray:
        """Coverage of the region d < 0, with an edge at least one pixel wide."""
        return _sat(0.5 - d / max(self.px, blur))

    def band(self, v: np.ndarray, half: np.ndarray | float) -> np.ndarray:
        """Coverage of the band |v| < half; bands thinner than a pixel fade instead of alias."""
        wide = np.maximum(half, 0.5 * self.px)
        return _sat(0.5 - (np.abs(v) - wide) / self.px) * (half / wide)

    def fade(self, freq: float) -> float:
        """Amplitude for a texture of angular frequency `freq`, zero above Nyquist."""
        return max(0.0, 1.0 - freq * self.px / math.pi)

    def paint(self, win, alpha: np.ndarray, color: np.ndarray) -> None:
        self.img[win] += alpha[..., None] * (color - self.img[win])

    def tone(self, win, factor: np.ndarray) -> None:
        """Multiply by a shading factor, shadows turning warm."""
        self.img[win] *= (factor[..., None] - 1.0) * _WARM + 1.0

    def blob(self, cx: float, cy: float, sx: float, sy: float, gain) -> None:
        """Brighten (gain > 0) or darken a soft elliptical spot; gain may be per channel."""
        win = self.window(cx - 2.5 * sx, cy - 2.5 * sy, cx + 2.5 * sx, cy + 2.5 * sy)
        x, y = self.grid(win)
        self.img[win] *= 1.0 + _gauss(x, y, cx, cy, sx, sy)[..., None] * gain

    def light(self, nx: np.ndarray, ny: np.ndarray, low: float, gain: float) -> np.ndarray:
        """Lambert shading of a pseudo-normal (nx, ny, outward z) under the frame's light."""
        lx, ly = self.pose.light
        nz = np.sqrt(_sat(1.0 - nx * nx - ny * ny))
        lam = (lx * nx + ly * ny + nz) / math.sqrt(lx * lx + ly * ly + 1.0)
        return low + gain * _sat(lam)


def _sat(v: np.ndarray) -> np.ndarray:
    """Clamp to [0, 1] (cheaper than np.clip on small arrays)."""
    return np.minimum(np.maximum(v, 0.0), 1.0)


def _gauss(x, y, cx: float, cy: float, sx: float, sy: float) -> np.ndarray:
    return np.exp(-(((x - cx) / sx) ** 2) - ((y - cy) / sy) ** 2)


def _noise(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Cheap white-ish noise in [0, 1) attached to the face."""
    v = np.sin(x * 127.1 + y * 311.7) * 437.5453
    return v - np.floor(v)


def _background(cv: _Canvas) -> None:
    """Neutral studio backdrop, slightly lit behind the head."""
    c, p = cv.c, cv.pose
    glow = 1.04 - 0.08 * c[:, None] - 0.06 * (c[None, :] ** 2 + c[:, None] ** 2)
    cv.img[:] = glow[..., None] * (_BACKGROUND + np.array(p.tint, np.float32))


def _head_field(x, y, k: _Look) -> np.ndarray:
    """Distance-like field of the skull and jaw outline, negative inside."""
    t = _sat(y / k.chin)
    half = k.width * (1.0 - k.taper * t * t)
    tq = np.abs(y / k.chin) ** (k.square - 1.0)
    jaw = (x / half) ** 2 + tq * np.abs(y / k.chin)
    slope = np.hypot(2.0 * np.abs(x) / (half * half), k.square * tq / k.chin)
    skull = (np.sqrt((x / k.width) ** 2 + (y / _CROWN) ** 2) - 1.0) * k.width
    return np.where(y < 0, skull, (jaw - 1.0) / np.maximum(slope, 1.0))


def _hair_field(x, y, k: _Look, length: float) -> np.ndarray:
    """Outline of the hair mass down to `length` below the eye line."""
    w = k.width + k.hair_vol
    cap = (np.sqrt((x / w) ** 2 + (y / (_CROWN + 1.2 * k.hair_vol)) ** 2) - 1.0) * w
    half = w + (0.12 + 0.1 * (k.style == "curly")) * np.maximum(y, 0.0)
    slant = 1.5 * _clip(1.0 - length / 0.3) * np.maximum(np.abs(x) - 0.9 * k.width, 0.0)
    bottom = y - length + 0.1 * (x / half) ** 2 + slant
    d = np.maximum(np.where(y < 0, cap, np.abs(x) - half), bottom)
    if k.style == "curly":
        d = d + 0.012 * np.sin(45 * x) * np.sin(45 * y)
    return d


def _hair_texture(cv: _Canvas, x, y, k: _Look) -> np.ndarray:
    """Brightness pattern in about [-1, 1]: lit curls, or strands fanning from the parting."""
    if k.style == "curly":
        wx, wy = x + 0.03 * np.sin(23 * y), y + 0.03 * np.sin(19 * x)
        a, b = 60 * wx, 30 * wx + 52 * wy
        height = (np.cos(a) + np.cos(b) + np.cos(b - a)) / 3
        return cv.fade(70) * (height + 0.3 * (np.sin(b) + np.sin(b - a)))
    fan = (x - k.part) / (y + _CROWN + 0.35)
    coarse = np.sin(45 * fan + 2.5 * np.sin(9 * fan))
    return 0.7 * cv.fade(130) * coarse + 0.3 * cv.fade(400) * np.sin(150 * fan + 3 * np.sin(25 * y))


def _hair_color(cv: _Canvas, x, y, k: _Look, shade: float) -> np.ndarray:
    """Textured, lit, greying hair colour."""
    tex = _hair_texture(cv, x, y, k)
    w = k.width + k.hair_vol
    lit = cv.light(x / (w * 1.1), (y + 0.05) / (_CROWN + 0.15), 0.55, 0.55)
    sheen = 0.18 * _gauss(x, y, 0.0, -0.7 * _CROWN, w * 0.7, 0.07)
    grey = _sat(k.grey + 0.8 * k.grey * (1 - k.grey) * tex)[..., None]
    base = _greyed(k.hair, grey)
    return base * (shade * (lit + sheen) * (0.92 + 0.2 * tex))[..., None]


def _hair(cv: _Canvas, k: _Look, back: bool) -> None:
    """The hair behind the head (back) or in front of it."""
    bun = k.style == "tied"
    if back and (k.bald == 2 or k.hair_len < 0.12 and not bun):
        return
    w = k.width + k.hair_vol
    reach = w + 0.25 * max(k.hair_len, 0.0) + 0.05
    win = cv.window(-reach, -_CROWN - 0.25, reach, max(k.hair_len, 0.0) + 0.1)
    x, y = cv.grid(win)
    d = _hair_field(x, y, k, 0.0 if bun else k.hair_len)
    if back:
        if bun:
            d = np.minimum(d, np.hypot(x, y + _CROWN + 0.03) - 0.11)
        alpha = cv.cover(d, 0.008)
    else:
        alpha = cv.cover(np.maximum(d, -_face_opening(x, y, k)), 0.006)
        if k.style == "parted":
            alpha *= 1 - 0.4 * cv.band(x - k.part, 0.004) * _sat((y - k.hairline + 0.2) / 0.2)
    inside = alpha > 0
    view = cv.img[win]
    color = _hair_color(cv, x[inside], y[inside], k, 0.7 if back else 1.0)
    view[inside] += alpha[inside][:, None] * (color - view[inside])


def _face_opening(x, y, k: _Look) -> np.ndarray:
    """Where the front hair leaves skin bare: forehead below the hairline, face and neck."""
    tilt = 0.35 * np.sign(k.part) * x * (y < 0.0)
    power = 2.6 - 0.8 * (k.bald == 1)
    opening = (
        np.abs(x / (0.93 * k.width)) ** power
        + np.abs((y - 0.25 + tilt) / (0.25 - k.hairline)) ** 2.6
    )
    d = np.minimum((opening - 1.0) * 0.1, np.maximum(np.abs(x) - 0.78 * k.width, 0.3 - y))
    if k.bald == 2:
        d = np.minimum(d, y + 0.1)
    return d


def _body(cv: _Canvas, k: _Look) -> None:
    """Neck and shoulders with clothing."""
    win = cv.window(-1.5, 0.1, 1.5, 2.0)
    x, y = cv.grid(win)
    neck_half = (0.17 + 0.025 * k.male) + 0.25 * np.maximum(y - 0.62, 0.0) ** 2
    neck = cv.cover(np.maximum(np.abs(x) - neck_half, 0.1 - y))
    dark = 0.6 + 0.3 * _sat((y - k.chin + 0.06) / 0.25) - 0.2 * (x / neck_half) ** 2
    cv.paint(win, neck, k.skin * dark[..., None])
    sx = 0.95 + 0.1 * k.male
    ax, ay = np.abs(x) / sx, np.abs(y - 1.3) / 0.72
    torso = ax * ax * ax + ay * ay * ay - 1.0
    collar = (x / (neck_half + 0.06)) ** 2 + ((y - 0.58) / 0.16) ** 2 - 1.0
    d = np.maximum(torso * 0.3, -collar * 0.08)
    shade = cv.light(x / (sx * 1.05), (y - 1.3) / 1.0, 0.45, 0.55)
    shade *= 1 - 0.25 * _gauss(x, y, 0.0, 0.6, 0.35, 0.1)
    cv.paint(win, cv.cover(d), _CLOTHES[cv.pose.clothes] * shade[..., None])


def _ears(cv: _Canvas, k: _Look) -> None:
    """Ears at the sides, drawn before the head so it covers their inner half."""
    for side in (-1, 1):
        cx = side * k.width * 0.97
        win = cv.window(cx - 0.08, -0.1, cx + 0.08, 0.22)
        x, y = cv.grid(win)
        u, v = (x - cx) / 0.05, (y - 0.05) / 0.12
        ear = cv.cover((np.hypot(u, v) - 1.0) * 0.05)
        inner = _gauss(x, y, cx + side * 0.012, 0.05, 0.02, 0.065)
        cv.paint(win, ear, k.skin * (0.86 - 0.2 * inner)[..., None])


def _head(cv: _Canvas, k: _Look) -> None:
    """Face and skull skin with soft modelling: sockets, cheeks, chin."""
    win = cv.window(-k.width - 0.02, -_CROWN - 0.02, k.width + 0.02, k.chin + 0.02)
    x, y = cv.grid(win)
    shade = cv.light(x / (k.width * 1.04), (y + 0.02) / 0.6, 0.45, 0.6)
    cv.paint(win, cv.cover(_head_field(x, y, k)), k.skin * shade[..., None])
    for side in (-1, 1):
        ex = side * k.eye_x
        cv.blob(ex, -0.02, 0.07, 0.045, -0.13)
        cv.blob(ex, 0.045, 0.05, 0.018, -0.07 * k.aging)
        cv.blob(side * 0.16, 0.14, 0.07, 0.06, 0.05)
        cv.blob(side * 0.17, 0.16, 0.06, 0.05, _BLUSH)
    cv.blob(0.0, k.mouth_y + k.lip_low + 0.03, 0.05, 0.02, -0.08)


def _eyes(cv: _Canvas, k: _Look) -> None:
    """Almond eye openings with sclera, iris, pupil, glint, lash line, lid crease and blink."""
    p = cv.pose
    for side in (-1, 1):
        cx = side * k.eye_x
        win = cv.window(cx - 1.4 * k.eye_w, -0.08, cx + 1.4 * k.eye_w, 0.06)
        x, y = cv.grid(win)
        u = (x - cx) / k.eye_w * side  # positive towards the ear
        uu = _sat(1.0 - u * u)
        tilt = -0.12 * k.eye_h * u
        lower = tilt + 0.6 * k.eye_h * uu**0.8
        opened = tilt - k.eye_h * uu**0.6
        upper = opened + p.blink * (lower - opened)
        inside = cv.cover(np.maximum(np.maximum(upper - y, y - lower), (np.abs(u) - 1) * k.eye_w))
        lid = _sat((y - upper) / (1.2 * k.eye_h))
        cv.paint(win, inside, _SCLERA * (0.68 + 0.3 * lid - 0.12 * u * u)[..., None])
        ix = cx + p.gaze[0] * k.eye_w
        r = np.hypot(x - ix, y - p.gaze[1] * k.eye_h - 0.003) / (0.46 * k.eye_w)
        iris = cv.cover((r - 1.0) * 0.46 * k.eye_w) * inside
        cv.paint(win, iris, k.iris * ((1.15 - 0.5 * r**3) * (0.6 + 0.4 * lid))[..., None])
        cv.paint(win, cv.cover((r - 0.42) * 0.46 * k.eye_w) * inside, _PUPIL)
        glint = np.hypot(x - ix + 0.3 * k.eye_w * 0.46, y + 0.008) - 0.08 * k.eye_w
        cv.paint(win, 0.85 * cv.cover(glint) * inside, _GLINT)
        ends = _sat((1.12 - np.abs(u)) * 6)
        lash = cv.band(y - upper + 0.002, (0.0045 + 0.003 * (not k.male)) * (1 + 0.6 * _sat(u)))
        cv.paint(win, lash * ends, k.hair * 0.3 + 0.02)
        crease = cv.band(y - opened + 0.02 + 0.004 * u, 0.0025) * ends * (0.45 * k.crease)
        cv.tone(win, 1 - crease - 0.2 * cv.band(y - lower - 0.003, 0.002) * ends)


def _brows(cv: _Canvas, k: _Look) -> None:
    """Tapered, arched brows with a feathered edge; they grey later than the hair."""
    color = _greyed(k.hair, 0.5 * k.grey) * 0.75
    for side in (-1, 1):
        x0, x1 = k.eye_x - 1.1 * k.eye_w, k.eye_x + 1.3 * k.eye_w
        left, right = sorted((side * x0, side * x1))
        win = cv.window(left, k.brow_y - 0.06, right, k.brow_y + 0.04)
        x, y = cv.grid(win)
        t = (x * side - x0) / (x1 - x0)  # 0 at the inner end, 1 at the outer
        centre = k.brow_y - k.brow_arch * (1 - ((t - 0.62) / 0.62) ** 2) + 0.01 * t * t
        half = k.brow_th * (1.15 - 0.65 * _sat(t))
        ends = _sat(t * 8) * _sat((1 - t) * 12)
        hairs = 0.75 + 0.25 * _noise(x * 3, y)
        cv.paint(win, 0.9 * cv.band(y - centre, half) * ends * hairs, color)


def _nose(cv: _Canvas, k: _Look) -> None:
    """The nose as shading: bridge flanks away from the light, tip highlight, wings, nostrils."""
    nw, ny = k.nose_w, k.nose_y
    win = cv.window(-2.2 * nw, -0.04, 2.2 * nw, ny + 0.04)
    x, y = cv.grid(win)
    lx = cv.pose.light[0]
    t = _sat(y / ny)
    flank = np.exp(-(((np.abs(x) - 0.02 - 0.5 * nw * t) / 0.014) ** 2)) * t**0.8
    flank *= _sat((ny - y) / 0.02 + 0.5)
    away = 0.5 + np.sign(x) * _clip(lx, -0.5, 0.5)
    shade = 1 - 0.14 * flank * away
    shade *= 1 + 0.07 * _gauss(x, y, -0.01 * np.sign(lx), ny - 0.03, 0.015, 0.014)
    for side in (-1, 1):
        shade *= 1 - 0.15 * _gauss(x, y, side * nw * 0.95, ny - 0.015, 0.011, 0.02)
    shade *= 1 - 0.2 * _gauss(x, y, 0.0, ny + 0.012, nw, 0.01)
    cv.tone(win, shade)
    for side in (-1, 1):
        d = (np.hypot((x - side * nw * 0.45) / 0.015, (y - ny + 0.003) / 0.007) - 1.0) * 0.007
        cv.paint(win, 0.8 * cv.cover(d, 0.005), k.skin * 0.3)


def _mouth_curves(x, k: _Look, p: _Pose):
    """Per column: position across the mouth, lip meeting line, open gap, lip top, lip bottom."""
    u = x / (k.mouth_w * (1 + 0.1 * p.smile))
    uu = _sat(1.0 - u * u)
    line = k.mouth_y + (0.006 * k.aging - 0.02 * p.smile) * u * u
    gap = 0.03 * p.mouth_open * uu**0.7
    bow = 1 - 0.15 * np.exp(-((u / 0.14) ** 2)) + 0.1 * np.exp(-(((np.abs(u) - 0.3) / 0.15) ** 2))
    top = line - 0.3 * gap - k.lip_up * uu**0.5 * bow
    bottom = line + 0.7 * gap + k.lip_low * uu**0.6
    return u, line, gap, top, bottom


def _mouth(cv: _Canvas, k: _Look) -> None:
    """Lips, and when open the mouth's inside with a hint of upper teeth."""
    p = cv.pose
    mw = k.mouth_w * 1.5
    win = cv.window(-mw, k.mouth_y - 0.07, mw, k.mouth_y + 0.08)
    x, y = cv.grid(win)
    u, line, gap, top, bottom = _mouth_curves(x, k, p)
    edge = (np.abs(u) - 1) * k.mouth_w
    lips = cv.cover(np.maximum(np.maximum(top - y, y - bottom), edge), 0.004)
    shine = 1 + 0.15 * _gauss(x, y, 0.0, line + 0.7 * gap + 0.5 * k.lip_low, 0.04, 0.008)
    cv.paint(win, lips, k.lips * (np.where(y < line, 0.85, 1.0) * shine)[..., None])
    opening = cv.cover(np.maximum(np.maximum(line - 0.3 * gap - y, y - line - 0.7 * gap), edge))
    teeth = _sat((line + 0.05 * gap - y) / 0.004)
    inner = _MOUTH + teeth[..., None] * (_TEETH - _MOUTH)
    cv.paint(win, opening, inner)
    corners = 0.5 * _gauss(np.abs(u), y, 1.0, line, 0.1, 0.006)
    cv.tone(win, 1 - 0.45 * cv.band(y - line, 0.0025) * _sat(1.05 - np.abs(u)) - corners)


def _lines(cv: _Canvas, k: _Look) -> None:
    """Nasolabial folds (faint when young), and with age forehead lines and crow's feet."""
    a = k.aging
    win = cv.window(-k.mouth_w - 0.05, k.nose_y - 0.03, k.mouth_w + 0.05, k.mouth_y + 0.06)
    x, y = cv.grid(win)
    t = _sat((y - k.nose_y + 0.01) / (k.mouth_y - k.nose_y + 0.05))
    fold = k.nose_w * 1.2 + (k.mouth_w - k.nose_w * 0.9) * t + 0.015 * t * (1 - t)
    depth = (0.05 + 0.35 * a + 0.15 * cv.pose.smile) * _sat(np.sin(np.pi * t)) ** 0.7
    cv.tone(win, 1 - depth * cv.band(np.abs(x) - fold, 0.003))
    if a == 0:
        return
    win = cv.window(-0.17, k.brow_y - 0.13, 0.17, k.brow_y - 0.03)
    x, y = cv.grid(win)
    dark = sum(cv.band(y - k.brow_y + 0.045 + 0.028 * i - 0.25 * x * x, 0.0025) for i in range(3))
    cv.tone(win, 1 - 0.25 * a * dark * _sat(1 - np.abs(x) / 0.16))
    for side in (-1, 1):
        cx = side * (k.eye_x + 1.12 * k.eye_w)
        win = cv.window(cx - 0.05, -0.05, cx + 0.05, 0.05)
        x, y = cv.grid(win)
        ox = (x - cx) * side
        dark = 0.0
        for angle in (-0.35, 0.0, 0.35):
            along = ox * math.cos(angle) + y * math.sin(angle)
            across = y * math.cos(angle) - ox * math.sin(angle)
            dark = dark + cv.band(across, 0.002) * _sat(along * 40) * _sat((0.04 - along) * 40)
        cv.tone(win, 1 - 0.3 * a * dark)


def _whiskers(cv: _Canvas, k: _Look) -> None:
    """Stubble or beard over the lower face."""
    win = cv.window(-k.width - 0.08, -0.08, k.width + 0.08, k.chin + 0.1)
    x, y = cv.grid(win)
    cheek = _sat((np.abs(x) - 0.08) / (k.width - 0.08)) ** 1.8
    top = (k.nose_y + 0.02) * (1 - cheek)
    grow = k.beard_th * (k.beard == 3) * _sat((y - 0.1) / 0.3)
    alpha = cv.cover(top - y, 0.025) * cv.cover(_head_field(x, y, k) - grow, 0.012)
    n = _noise(x, y)
    color = k.whisker
    if k.beard == 3:
        strands = cv.fade(160) * np.sin(160 * x + 4 * np.sin(30 * y))
        shade = cv.light(x / (k.width * 1.1), y / 0.6, 0.55, 0.5) * (0.9 + 0.05 * strands + 0.1 * n)
        cv.paint(win, alpha, color * shade[..., None])
    else:
        cv.paint(win, k.stubble * alpha * (0.6 + 0.4 * n), color)


def _moustache(cv: _Canvas, k: _Look) -> None:
    """A moustache following the upper lip, drooping at the ends."""
    win = cv.window(-k.mouth_w * 1.3, k.nose_y, k.mouth_w * 1.3, k.mouth_y + 0.04)
    x, y = cv.grid(win)
    u, _, _, top, _ = _mouth_curves(x, k, cv.pose)
    u = u / 1.15
    centre = top - 0.007 + 0.025 * np.maximum(np.abs(u) - 0.6, 0.0)
    half = 0.011 * _sat(1.0 - u * u) ** 0.3
    color = k.whisker * (0.9 + 0.15 * _noise(x, y))[..., None]
    cv.paint(win, 0.95 * cv.band(y - centre, half), color)


def render_face(
    speaker: Speaker, rng: np.random.Generator | None = None, size: int = 128
) -> np.ndarray:
    """RGB uint8 array (size, size, 3). With rng: one video frame's small variation
    (lighting, small shift/scale, expression such as a slight smile or open mouth, eye blink/gaze);
    without rng: the canonical neutral, evenly lit frontal face."""
    k = _look(speaker)
    pose = _Pose() if rng is None else _pose(rng)
    cv = _Canvas(size, k.scale * pose.zoom, pose)
    _background(cv)
    _hair(cv, k, back=True)
    _body(cv, k)
    _ears(cv, k)
    _head(cv, k)
    _lines(cv, k)
    _nose(cv, k)
    _eyes(cv, k)
    _brows(cv, k)
    if k.beard:
        _whiskers(cv, k)
    _mouth(cv, k)
    if k.beard >= 2:
        _moustache(cv, k)
    _hair(cv, k, back=False)
    return np.clip(cv.img * (255.0 * pose.exposure), 0, 255).round().astype(np.uint8)
