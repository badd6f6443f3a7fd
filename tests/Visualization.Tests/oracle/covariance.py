#!/usr/bin/python3
"""numpy.cov oracle: reads n images of c*h*w float32 (little-endian) from IN, writes the covariance as float64 to OUT.

Usage: covariance.py IN OUT n c h w grey|all
grey: one variable per pixel position, the mean over channels (computed in float64); all: every value.
"""
import sys

import numpy as np

src, dst, n, c, h, w, mode = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:7]), sys.argv[7]
x = np.fromfile(src, dtype="<f4").astype(np.float64).reshape(n, c, h * w)
x = x.mean(axis=1) if mode == "grey" else x.reshape(n, c * h * w)
np.cov(x, rowvar=False).astype("<f8").tofile(dst)
