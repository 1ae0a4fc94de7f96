package featurealign.nn;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
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
     * two cores), or DOUBLE (to ~1e-15, for float64 graphs such as the gradient checks; ~2× slower). The result is
     * checked ({@link #isometryError}); where this CPU's BLAS gets the blocked QR wrong, the unblocked QR of the same
     * Gaussian matrix is used instead (same Q to rounding), with a warning on standard error.
     */
    public static INDArray orthogonal(int rows, int cols, Random rng, DataType precision) {
        if (precision != DataType.FLOAT && precision != DataType.DOUBLE) {
            throw new IllegalArgumentException("orthogonal: precision must be FLOAT or DOUBLE, got " + precision);
        }
        int m = Math.max(rows, cols), n = Math.min(rows, cols);
        long seed = rng.nextLong();
        INDArray q = householderQ(gaussian(m, n, seed, precision), true);
        double err = isometryError(q);
        if (err > isometryTolerance(precision)) {
            // OpenBLAS 0.3.19 (ND4J 1.0.0-M2.1's) picks AVX-512 kernels on Skylake-X and newer cores; on some of these
            // CPUs its DTRMM (and on Cooper Lake-detected ones STRMM) returns wrong numbers, which LAPACK's blocked QR
            // uses past its 128-column crossover. The unblocked QR needs only GEMV/GER, which are right there.
            warnBlockedQrOnce(precision, m, n, err);
            q.close();
            q = householderQ(gaussian(m, n, seed, precision), false);
            err = isometryError(q);
            if (err > isometryTolerance(precision)) {
                throw new IllegalStateException(String.format("orthogonal init: LAPACK's QR of a %dx%d %s matrix is not "
                        + "orthonormal (error %.3g) with blocked or unblocked routines; this BLAS computes wrong "
                        + "results on this CPU: set OPENBLAS_CORETYPE=Haswell before the JVM starts", m, n, precision, err));
            }
        }
        return rows >= cols ? q : q.transpose(); // a view: [rows, cols] either way
    }

    /**
     * The tall {@code m × n} standard normal matrix whose Q we keep, column-major for LAPACK: element (i,j) at i + j·m.
     * Drawn straight into the working precision with a ziggurat sampler (Java 17's SplittableRandom; java.util.Random's
     * polar method took 0.3 s for the 4096×3136 layer's 12.8M values), seeded by {@code seed}.
     */
    static INDArray gaussian(int m, int n, long seed, DataType precision) {
        java.util.SplittableRandom gauss = new java.util.SplittableRandom(seed);
        // Copied straight into the native buffer a chunk at a time: Nd4j.create(float[]) copies slowly, and a
        // whole-matrix Java array swells the heap at start-up (docs/performance.md, "Native memory").
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
        return a;
    }

    /**
     * Overwrites the column-major {@code m × n} matrix {@code a} (m ≥ n) with the Q of its QR decomposition, R's
     * diagonal made positive (so Q is Haar-distributed when a is Gaussian), and returns it. {@code blocked}: LAPACK's
     * geqrf and orgqr, called directly with the same arguments as ND4J's lapack().geqrf, so the same Q to the last bit,
     * without its copy of R, which zeroes R's lower triangle one row view at a time (~0.4 s of the 4096×3136 layer's
     * 1.4 s). Otherwise their unblocked code (geqr2 and org2r), which they themselves run below 128 columns.
     * R's diagonal is read off a between the two calls.
     */
    static INDArray householderQ(INDArray a, boolean blocked) {
        DataType precision = a.dataType();
        int m = (int) a.rows(), n = (int) a.columns();
        boolean isFloat = precision == DataType.FLOAT;
        INDArray tau = Nd4j.create(precision, n);
        int info;
        if (blocked) {
            info = isFloat
                    ? openblas.LAPACKE_sgeqrf(openblas.LAPACK_COL_MAJOR, m, n, (FloatPointer) a.data().addressPointer(), m,
                            (FloatPointer) tau.data().addressPointer())
                    : openblas.LAPACKE_dgeqrf(openblas.LAPACK_COL_MAJOR, m, n, (DoublePointer) a.data().addressPointer(), m,
                            (DoublePointer) tau.data().addressPointer());
        } else {
            info = unblocked(a, tau, false);
        }
        if (info != 0) throw new IllegalStateException("orthogonal init: LAPACK geqrf failed (info " + info + ")");
        INDArray signs = Nd4j.create(precision, 1, n);
        for (int j = 0; j < n; j++) signs.putScalar(0, j, a.getDouble(j, j) < 0 ? -1.0 : 1.0);
        if (blocked) {
            info = isFloat
                    ? openblas.LAPACKE_sorgqr(openblas.LAPACK_COL_MAJOR, m, n, n, (FloatPointer) a.data().addressPointer(), m,
                            (FloatPointer) tau.data().addressPointer())
                    : openblas.LAPACKE_dorgqr(openblas.LAPACK_COL_MAJOR, m, n, n, (DoublePointer) a.data().addressPointer(), m,
                            (DoublePointer) tau.data().addressPointer());
        } else {
            info = unblocked(a, tau, true);
        }
        if (info != 0) throw new IllegalStateException("orthogonal init: LAPACK orgqr failed (info " + info + ")");
        a.muliRowVector(signs);
        tau.close();
        signs.close();
        return a;
    }

    /**
     * LAPACK's geqrf ({@code formQ} false) or orgqr (true) on the column-major a with a workspace of n elements, which
     * makes both run their unblocked code (geqr2, org2r: Householder reflections applied with GEMV and GER only);
     * returns LAPACK's info.
     */
    private static int unblocked(INDArray a, INDArray tau, boolean formQ) {
        int m = (int) a.rows(), n = (int) a.columns();
        IntPointer pm = new IntPointer(new int[]{m}), pn = new IntPointer(new int[]{n}), info = new IntPointer(1);
        if (a.dataType() == DataType.FLOAT) {
            FloatPointer pa = (FloatPointer) a.data().addressPointer(), pt = (FloatPointer) tau.data().addressPointer();
            FloatPointer work = new FloatPointer(n);
            if (formQ) openblas.LAPACK_sorgqr(pm, pn, pn, pa, pm, pt, work, pn, info);
            else openblas.LAPACK_sgeqrf(pm, pn, pa, pm, pt, work, pn, info);
            work.close();
        } else {
            DoublePointer pa = (DoublePointer) a.data().addressPointer(), pt = (DoublePointer) tau.data().addressPointer();
            DoublePointer work = new DoublePointer(n);
            if (formQ) openblas.LAPACK_dorgqr(pm, pn, pn, pa, pm, pt, work, pn, info);
            else openblas.LAPACK_dgeqrf(pm, pn, pa, pm, pt, work, pn, info);
            work.close();
        }
        int result = info.get();
        pm.close();
        pn.close();
        info.close();
        return result;
    }

    /**
     * How far the tall q is from having orthonormal columns, measured on a fixed random vector x: max |qᵀ(q·x) − x| /
     * max |x|. Two matrix-vector products (~4·m·n flops, cheap beside the factorisation); a wrong Q gives errors of
     * order 1, a right one of the working precision's rounding.
     */
    static double isometryError(INDArray q) {
        double[] xs = new java.util.SplittableRandom(12345).doubles(q.columns(), -1, 1).toArray();
        INDArray x = Nd4j.createFromArray(xs).castTo(q.dataType()).reshape(q.columns(), 1);
        double[] back = q.transpose().mmul(q.mmul(x)).castTo(DataType.DOUBLE).data().asDouble();
        double maxDiff = 0, maxX = 0;
        for (int i = 0; i < xs.length; i++) {
            double d = Math.abs(back[i] - x.getDouble(i, 0));
            if (!Double.isFinite(d)) return Double.POSITIVE_INFINITY; // ND4J's amax passes NaN over
            maxDiff = Math.max(maxDiff, d);
            maxX = Math.max(maxX, Math.abs(x.getDouble(i, 0)));
        }
        return maxDiff / maxX;
    }

    private static double isometryTolerance(DataType precision) { return precision == DataType.FLOAT ? 1e-3 : 1e-9; }

    private static final java.util.concurrent.atomic.AtomicBoolean WARNED = new java.util.concurrent.atomic.AtomicBoolean();

    private static void warnBlockedQrOnce(DataType precision, int m, int n, double err) {
        if (WARNED.compareAndSet(false, true)) {
            System.err.printf("featurealign: LAPACK's blocked QR gave a non-orthonormal %dx%d %s matrix (error %.3g): "
                    + "this CPU's OpenBLAS kernels are wrong for triangular products; using the unblocked QR (same Q to "
                    + "rounding; slower for large layers). OPENBLAS_CORETYPE=Haswell avoids the faulty kernels.%n",
                    m, n, precision, err);
        }
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
