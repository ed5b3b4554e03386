# caught by: col2im values
import numpy as np


def col2im(cols, x_shape, kh, kw):
    """The adjoint of im2col: adds each row of cols (N * Ho * Wo, C * kh * kw) back onto the
    patch of an array of shape x_shape = (N, C, H, W) that it was copied from."""
    ### BEGIN SOLUTION
    N, C, H, W = x_shape
    Ho, Wo = H - kh + 1, W - kw + 1
    rows = cols.reshape(N, Ho, Wo, C, kh, kw)
    image = np.zeros(x_shape)
    for a in range(kh):
        for b in range(kw):
            image[:, :, a:a + Ho, b:b + Wo] = rows[:, :, :, :, a, b].transpose(0, 3, 1, 2)
    return image
    ### END SOLUTION
