package featurealign.nn;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Random;

/** Initialisers of the reference code (PyTorch defaults), seeded and platform-independent. */
public final class Init {
    private Init() {}

    /**
     * A {@code rows × cols} matrix (any ordering) with orthonormal rows (rows ≤ cols) or columns (rows ≥ cols), as PyTorch's
     * {@code nn.init.orthogonal_}: QR of a standard normal matrix, with the signs of R's diagonal folded into Q so the
     * distribution is uniform (Haar). QR runs in LAPACK through ND4J in {@code precision}: FLOAT, as PyTorch does for
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
        INDArray a;
        if (precision == DataType.FLOAT) {
            float[] g = new float[m * n];
            for (int i = 0; i < g.length; i++) g[i] = (float) gauss.nextGaussian();
            a = Nd4j.create(g, new long[]{m, n}, 'f');
        } else {
            double[] g = new double[m * n];
            for (int i = 0; i < g.length; i++) g[i] = gauss.nextGaussian();
            a = Nd4j.create(g, new long[]{m, n}, 'f');
        }
        INDArray r = Nd4j.create(precision, new long[]{n, n}, 'f');
        Nd4j.getBlasWrapper().lapack().geqrf(a, r); // a becomes Q (m × n), r becomes R
        INDArray signs = Nd4j.create(precision, 1, n);
        for (int j = 0; j < n; j++) signs.putScalar(0, j, r.getDouble(j, j) < 0 ? -1.0 : 1.0);
        a.muliRowVector(signs);
        r.close();
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
