"""The output-shape rule, stated once for every backend.

A valid cross-correlation of an (H, W) input with a (kh, kw) kernel slides the window over
every position where it fits entirely, so the output is (H - kh + 1, W - kw + 1).
"""


def corr2d_output_shape(input_shape, kernel_shape):
    """Output shape of a valid 2-D cross-correlation; ValueError if the kernel does not fit."""
    if len(input_shape) != 2 or len(kernel_shape) != 2:
        raise ValueError(
            f"corr2d takes a 2-D input and a 2-D kernel, got shapes "
            f"{tuple(input_shape)} and {tuple(kernel_shape)}"
        )
    if 0 in tuple(input_shape) or 0 in tuple(kernel_shape):
        raise ValueError(
            f"corr2d needs non-empty arrays, got shapes {tuple(input_shape)} and "
            f"{tuple(kernel_shape)}"
        )
    (h, w), (kh, kw) = input_shape, kernel_shape
    if kh > h or kw > w:
        raise ValueError(
            f"kernel {kh}x{kw} is larger than the input {h}x{w}: no window fits"
        )
    return (h - kh + 1, w - kw + 1)
