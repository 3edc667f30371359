"""Images as flat rows: recognising them, and moving them a little (DEC-DA's augmentation).

Nothing here needs Keras, so deciding whether data are images costs no deep-learning import.

* :func:`infer_image_shape` — ``(s, s)`` for a square number of features;
* :func:`pixel_correlation` — do neighbouring features correlate, as pixels do?
* :func:`augment_images` — random shifts and rotations of a batch;
* :func:`augmentation_for` — the kit's default strength for an image size.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

__all__ = [
    "MIN_AUGMENT_WIDTH",
    "augment_images",
    "augmentation_for",
    "infer_image_shape",
    "pixel_correlation",
]


def augment_images(
    X: np.ndarray,
    image_shape: Sequence[int],
    *,
    max_shift: int = 1,
    max_rotation: float = 0.0,
    random_state: int | np.random.Generator | None = None,
) -> np.ndarray:
    """Randomly shift and rotate flat grey images, as DEC-DA does.

    Each image moves by a whole number of pixels drawn uniformly from
    ``[-max_shift, max_shift]`` in each direction and turns by an angle drawn uniformly from
    ``[-max_rotation, max_rotation]`` degrees about its centre; what comes in from outside the
    frame is 0. Each image is warped by SciPy's ``affine_transform`` (bilinear sampling), one
    after another: a pass over USPS's 9 298 images takes about 0.3 s. Guo et al. (2018, DEC-DA)
    train the autoencoder on such copies so that the code ignores small moves.

    Parameters
    ----------
    X : array of shape (n_samples, height * width)
    image_shape : (height, width)
    max_shift : int, default 1
    max_rotation : float, default 0.0
        Degrees; 0 turns rotation off.
    random_state : int or numpy.random.Generator, optional

    Returns
    -------
    ndarray of the same shape and dtype as ``X``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.zeros((1, 9)); X[0, 4] = 1.0          # one lit pixel in the centre of 3x3
    >>> out = augment_images(X, (3, 3), max_shift=1, random_state=0)
    >>> float(out.sum())   # the pixel moved but stayed inside the image
    1.0
    """
    from scipy.ndimage import affine_transform

    rng = np.random.default_rng(random_state)
    h, w = (int(s) for s in tuple(image_shape)[:2])
    n = X.shape[0]
    imgs = np.asarray(X).reshape(n, h, w)
    shifts = rng.integers(-max_shift, max_shift + 1, size=(n, 2))
    angles = np.deg2rad(rng.uniform(-max_rotation, max_rotation, size=n))
    centre = np.array([(h - 1) / 2, (w - 1) / 2])
    out = np.empty_like(imgs)
    for i in range(n):
        # output pixel p reads input pixel R (p - centre - shift) + centre
        cos, sin = np.cos(angles[i]), np.sin(angles[i])
        R = np.array([[cos, sin], [-sin, cos]])
        offset = centre - R @ (centre + shifts[i])
        affine_transform(imgs[i], R, offset=offset, output=out[i], order=1, mode="constant")
    return out.reshape(X.shape)


def infer_image_shape(n_features: int) -> tuple[int, int] | None:
    """``(s, s)`` when ``n_features`` is a square ``s * s`` with ``s >= 8``, else None.

    >>> infer_image_shape(784), infer_image_shape(256), infer_image_shape(50)
    ((28, 28), (16, 16), None)
    """
    side = math.isqrt(int(n_features))
    return (side, side) if side >= 8 and side * side == n_features else None


def pixel_correlation(X: np.ndarray, image_shape: Sequence[int], random_state: int = 0) -> float:
    """How much more neighbouring pixels correlate than random pairs of features do.

    The mean correlation of horizontally and vertically adjacent features, laid out as
    ``image_shape``, minus that of random pairs (on up to 2 000 rows; constant features are
    left out). Images score well above 0 (digits 0.40, USPS 0.64); a table whose columns merely
    happen to be a square number scores about 0, because its column order means nothing.

    >>> rng = np.random.default_rng(0)
    >>> round(pixel_correlation(rng.normal(size=(500, 64)), (8, 8)), 1)
    0.0
    """
    rng = np.random.default_rng(random_state)
    h, w = (int(s) for s in tuple(image_shape)[:2])
    X = np.asarray(X, dtype=np.float64)[rng.permutation(len(X))[:2000]]
    sd = X.std(axis=0)
    ok = sd > 1e-12 * max(1.0, float(np.abs(X).max()))
    Z = np.where(ok, (X - X.mean(axis=0)) / np.where(ok, sd, 1.0), 0.0)
    grid = np.arange(h * w).reshape(h, w)
    a = np.concatenate([grid[:, :-1].ravel(), grid[:-1, :].ravel()])
    b = np.concatenate([grid[:, 1:].ravel(), grid[1:, :].ravel()])
    ra, rb = rng.integers(0, h * w, size=(2, 2000))

    def mean_corr(i: np.ndarray, j: np.ndarray) -> float:
        keep = ok[i] & ok[j] & (i != j)
        return float(np.mean(Z[:, i[keep]] * Z[:, j[keep]])) if keep.any() else 0.0

    return mean_corr(a, b) - mean_corr(ra, rb)


#: Images narrower than this are not augmented by default: one pixel is too large a move.
MIN_AUGMENT_WIDTH = 14


def augmentation_for(image_shape: Sequence[int]) -> Callable[[np.ndarray, np.random.Generator], np.ndarray]:
    """The kit's default augmentation for images of ``image_shape``, as a
    ``(batch, rng) -> batch`` function for :func:`train_autoencoder`: shifts of up to one pixel
    per :data:`MIN_AUGMENT_WIDTH` pixels of width (16 px images move ±1, 28 px ±2, 8 px not at
    all) and rotations of up to ±10 degrees."""
    shape = tuple(int(s) for s in image_shape)[:2]
    shift = shape[1] // MIN_AUGMENT_WIDTH

    def augment(batch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return augment_images(batch, shape, max_shift=shift, max_rotation=10.0, random_state=rng)

    return augment
