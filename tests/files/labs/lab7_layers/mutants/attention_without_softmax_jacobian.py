# caught by: attention_backward values
import numpy as np


def attention(Q, K, V):
    """Scaled dot-product attention softmax(Q K^T / sqrt(d)) V, the softmax along each row.
    Q: Tensor (T, d), K: Tensor (S, d), V: Tensor (S, d_v). Returns the Tensor (T, d_v)."""
    ### BEGIN SOLUTION
    scale = 1.0 / np.sqrt(Q.shape[1])
    scores = Q.data @ K.data.T * scale
    weights = np.exp(scores - scores.max(axis=1, keepdims=True))
    A = weights / weights.sum(axis=1, keepdims=True)

    def attention_vjp(g):
        g_A = g @ V.data.T
        g_scores = A * g_A
        return g_scores @ K.data * scale, g_scores.T @ Q.data * scale, A.T @ g
    return Tensor(A @ V.data, (Q, K, V), attention_vjp)
    ### END SOLUTION
