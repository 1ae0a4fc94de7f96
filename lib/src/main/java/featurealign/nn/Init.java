package featurealign.nn;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas;

import java.util.Random;

/** Initialisers of the reference code (PyTorch defaults), seeded and platform-independent. */
public final class Init {
    private Init() {}

    /**
     * A {@code rows × cols} matrix (any ordering) with orthonormal rows (rows ≤ cols) or columns (rows ≥ cols), as PyTorch's
     * {@code nn.init.orthogonal_}: QR of a standard normal matrix, with the signs of R's diagonal folded into Q so the
     * distribution is uniform (Haar). QR runs in LAPACK (ND4J's OpenBLAS) in {@code precision}: FLOAT, as PyTorch does for
     * float32 parameters (orthonormal to ~1e-6, the parameters' own rounding; the 4096×3136 MNIST layer takes ~1 s on
     * two cores), or DOUBLE (to ~1e-15, for float64 graphs such as the gradient checks; ~2× slower).
     */
    public static INDArray orthogonal(int rows, int cols, Random rng, DataType precision) {
        if (precision != DataType.FLOAT && precision != DataType.DOUBLE) {
            throw new IllegalArgumentException("orthogonal: precision must be FLOAT or DOUBLE, got " + precision);
        }
        int m = Math.max(rows, cols), n = Math.min(rows, cols);
        // The tall m × n Gaussian matrix whose Q we keep, column-major for LAPACK: element (i,j) at i + j·m. Drawn
        // straight into the working precision with a ziggurat sampler (Java 17's SplittableRandom; java.util.Random's
        // polar method took 0.3 s for the 4096×3136 layer's 12.8M values), seeded from rng.
        java.util.SplittableRandom gauss = new java.util.SplittableRandom(rng.nextLong());
        // Copied straight into the native buffer (Nd4j.create(float[], shape, 'f') took 0.15 s for this one copy), a
        // chunk at a time: a whole-matrix Java array (51 MB for the 4096×3136 layer) swelled the heap at start-up.
        INDArray a = Nd4j.createUninitialized(precision, new long[]{m, n}, 'f');
        long total = (long) m * n;
        int chunk = (int) Math.min(total, 1 << 20);
        double[] g = new double[chunk];
        float[] f = precision == DataType.FLOAT ? new float[chunk] : null;
        for (long start = 0; start < total; start += chunk) {
            int len = (int) Math.min(chunk, total - start);
            for (int i = 0; i < len; i++) g[i] = gauss.nextGaussian();
            if (f == null) {
                new DoublePointer(a.data().addressPointer()).position(start).put(g, 0, len);
            } else {
                for (int i = 0; i < len; i++) f[i] = (float) g[i];
                new FloatPointer(a.data().addressPointer()).position(start).put(f, 0, len);
            }
        }
        // LAPACK's geqrf then orgqr, called directly: the same two routines (and arguments) as ND4J's lapack().geqrf,
        // so the same Q to the last bit, without its copy of R, which zeroes R's lower triangle one row view at a time
        // (~0.4 s of the 4096×3136 layer's 1.4 s). R's diagonal is read off a between the two calls.
        INDArray tau = Nd4j.create(precision, n);
        int info = precision == DataType.FLOAT
                ? openblas.LAPACKE_sgeqrf(openblas.LAPACK_COL_MAJOR, m, n, (FloatPointer) a.data().addressPointer(), m,
                        (FloatPointer) tau.data().addressPointer())
                : openblas.LAPACKE_dgeqrf(openblas.LAPACK_COL_MAJOR, m, n, (DoublePointer) a.data().addressPointer(), m,
                        (DoublePointer) tau.data().addressPointer());
        if (info != 0) throw new IllegalStateException("orthogonal init: LAPACK geqrf failed (info " + info + ")");
        INDArray signs = Nd4j.create(precision, 1, n);
        for (int j = 0; j < n; j++) signs.putScalar(0, j, a.getDouble(j, j) < 0 ? -1.0 : 1.0);
        info = precision == DataType.FLOAT
                ? openblas.LAPACKE_sorgqr(openblas.LAPACK_COL_MAJOR, m, n, n, (FloatPointer) a.data().addressPointer(), m,
                        (FloatPointer) tau.data().addressPointer())
                : openblas.LAPACKE_dorgqr(openblas.LAPACK_COL_MAJOR, m, n, n, (DoublePointer) a.data().addressPointer(), m,
                        (DoublePointer) tau.data().addressPointer());
        if (info != 0) throw new IllegalStateException("orthogonal init: LAPACK orgqr failed (info " + info + ")");
        a.muliRowVector(signs); // a is now Q with R's diagonal made positive: Haar-distributed
        tau.close();
        signs.close();
        return rows >= cols ? a : a.transpose(); // a view: [rows, cols] either way
    }

    /** {@link #orthogonal(int, int, Random, DataType)} in double precision. */
    public static INDArray orthogonal(int rows, int cols, Random rng) {
        return orthogonal(rows, cols, rng, DataType.DOUBLE);
    }

    /** {@code n} values uniform in ±1/√fanIn: PyTorch's default bias initialisation for conv and linear layers. */
    public static INDArray uniformBias(int n, long fanIn, Random rng) {
        double bound = 1.0 / Math.sqrt(fanIn);
        double[] b = new double[n];
        for (int i = 0; i < n; i++) b[i] = (2 * rng.nextDouble() - 1) * bound;
        return Nd4j.createFromArray(b);
    }
}
