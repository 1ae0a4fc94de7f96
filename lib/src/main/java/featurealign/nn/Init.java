package featurealign.nn;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Random;

/** Initialisers of the reference code (PyTorch defaults), seeded and platform-independent. */
public final class Init {
    private Init() {}

    /**
     * A {@code rows × cols} matrix with orthonormal rows (rows ≤ cols) or columns (rows ≥ cols), as PyTorch's
     * {@code nn.init.orthogonal_}: QR of a standard normal matrix, with the signs of R's diagonal folded into Q so the
     * distribution is uniform (Haar). QR runs in LAPACK through ND4J, so the 4096×3136 MNIST layer takes about 2.5 s on two cores.
     */
    public static double[][] orthogonal(int rows, int cols, Random rng) {
        int m = Math.max(rows, cols), n = Math.min(rows, cols);
        // The tall m × n matrix whose Q we keep, column-major for LAPACK: element (i,j) at i + j·m. Double precision
        // keeps Q orthogonal to 1e-15 (float32 would halve the 4096×3136 QR's ~2.5 s but break that).
        double[] g = new double[m * n];
        for (int i = 0; i < g.length; i++) g[i] = rng.nextGaussian();
        INDArray a = Nd4j.create(g, new long[]{m, n}, 'f');
        INDArray r = Nd4j.create(DataType.DOUBLE, new long[]{n, n}, 'f');
        Nd4j.getBlasWrapper().lapack().geqrf(a, r); // a becomes Q (m × n), r becomes R
        double[] q = a.dup('f').data().asDouble();
        double[][] out = new double[rows][cols];
        for (int j = 0; j < n; j++) {
            double sign = Math.signum(r.getDouble(j, j));
            if (sign == 0) sign = 1;
            for (int i = 0; i < m; i++) {
                double v = q[i + j * m] * sign;
                if (rows >= cols) out[i][j] = v; else out[j][i] = v;
            }
        }
        return out;
    }

    /** {@code n} values uniform in ±1/√fanIn: PyTorch's default bias initialisation for conv and linear layers. */
    public static INDArray uniformBias(int n, long fanIn, Random rng) {
        double bound = 1.0 / Math.sqrt(fanIn);
        double[] b = new double[n];
        for (int i = 0; i < n; i++) b[i] = (2 * rng.nextDouble() - 1) * bound;
        return Nd4j.createFromArray(b);
    }
}
