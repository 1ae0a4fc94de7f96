# Regenerates the tiny .npy fixtures read by NpyTest. Run from this folder with Debian's numpy:
#   /usr/bin/python3 make_fixtures.py        (numpy 1.24.2 wrote the committed files)
import numpy as np

np.save("f4_2x3.npy", np.arange(6, dtype="<f4").reshape(2, 3) / 4)          # 0, .25, ..., 1.25
np.save("f8_2x2x2.npy", np.arange(8, dtype="<f8").reshape(2, 2, 2) - 3.5)    # -3.5 ... 3.5
np.save("u1_2x2.npy", np.array([[0, 1], [128, 255]], dtype="|u1"))
np.save("i4_vec5.npy", np.array([-2, -1, 0, 1, 2147483647], dtype="<i4"))
np.save("i8_3x1.npy", np.array([[-(2**40)], [0], [2**40]], dtype="<i8"))
np.save("f8_scalar.npy", np.array(2.5, dtype="<f8"))
np.save("f4_0x3.npy", np.zeros((0, 3), dtype="<f4"))
np.save("f4_fortran_2x3.npy", np.asfortranarray(np.arange(6, dtype="<f4").reshape(2, 3)))
np.save("f4_bigendian_2.npy", np.array([1.0, 2.0], dtype=">f4"))
np.save("i2_3.npy", np.array([1, 2, 3], dtype="<i2"))
