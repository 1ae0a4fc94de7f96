package featurealign.nn;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class InitTest {

    @Test
    void orthogonalRowsOrColumnsAndSeeded() {
        for (int[] s : new int[][]{{12, 5}, {5, 12}, {9, 9}}) {
            INDArray m = Init.orthogonal(s[0], s[1], new Random(3));
            assertArrayEquals(new long[]{s[0], s[1]}, m.shape());
            // Orthonormal columns when tall, rows when wide: the small Gram matrix is the identity.
            INDArray gram = s[0] >= s[1] ? m.transpose().mmul(m) : m.mmul(m.transpose());
            assertEquals(0.0, gram.sub(Nd4j.eye(Math.min(s[0], s[1]))).amaxNumber().doubleValue(), 1e-12, "shape " + s[0] + "x" + s[1]);
            assertEquals(m, Init.orthogonal(s[0], s[1], new Random(3)), "same seed, same matrix");
        }
        assertNotEquals(Init.orthogonal(6, 6, new Random(1)).getDouble(0, 0), Init.orthogonal(6, 6, new Random(2)).getDouble(0, 0));
    }

    @Test
    void floatQrIsOrthonormalToFloatRoundingAndMatchesTheDoubleOne() {
        for (int[] s : new int[][]{{300, 120}, {120, 300}}) {
            INDArray m = Init.orthogonal(s[0], s[1], new Random(5), DataType.FLOAT).castTo(DataType.DOUBLE);
            INDArray d = Init.orthogonal(s[0], s[1], new Random(5), DataType.DOUBLE);
            INDArray gram = s[0] >= s[1] ? m.transpose().mmul(m) : m.mmul(m.transpose());
            double err = gram.sub(Nd4j.eye(Math.min(s[0], s[1]))).amaxNumber().doubleValue();
            assertTrue(err < 1e-5, "float QR orthonormal to " + err);
            // Same Gaussian matrix, same sign convention: the same Q up to float32 rounding.
            assertEquals(0.0, m.sub(d).amaxNumber().doubleValue(), 1e-4);
        }
        assertThrows(IllegalArgumentException.class, () -> Init.orthogonal(3, 3, new Random(1), DataType.HALF));
    }

    @Test
    void networkWeightsAreOrthonormalInPyTorchsFlattening() {
        // Conv weights live as [k,k,in,out]; flattened as PyTorch does ([out, in·k·k]) their rows are orthonormal.
        // Dense weights live as [in,out]; PyTorch's [out,in] = its transpose has orthonormal columns when out ≥ in.
        org.nd4j.autodiff.samediff.SameDiff sd = org.nd4j.autodiff.samediff.SameDiff.create();
        NetworkSpec spec = new NetworkSpec("t", Shape.image(2, 6, 6), java.util.List.of(
                new LayerSpec.Conv2d(2, 4, 3, 1, 1), new LayerSpec.Flatten(), new LayerSpec.Dense(144, 200)));
        Network net = Network.declare(sd, spec, DataType.DOUBLE);
        net.initialize(7);
        INDArray conv = net.layerParameters(0).get(0).getArr();
        assertArrayEquals(new long[]{3, 3, 2, 4}, conv.shape());
        INDArray flat = conv.permute(3, 2, 0, 1).dup('c').reshape(4, 18);
        assertEquals(0.0, flat.mmul(flat.transpose()).sub(Nd4j.eye(4)).amaxNumber().doubleValue(), 1e-12);
        INDArray dense = net.layerParameters(2).get(0).getArr();
        assertArrayEquals(new long[]{144, 200}, dense.shape());
        INDArray torch = dense.transpose(); // [out=200, in=144]
        assertEquals(0.0, torch.transpose().mmul(torch).sub(Nd4j.eye(144)).amaxNumber().doubleValue(), 1e-12);
    }

    @Test
    void biasesWithinTheFanInBound() {
        INDArray b = Init.uniformBias(1000, 25, new Random(1));
        assertTrue(b.amaxNumber().doubleValue() <= 0.2);
        assertTrue(b.amaxNumber().doubleValue() > 0.19, "spans the range");
    }

    @Test
    void blockedQrMakesNd4jsLapackCallsToTheLastBit() {
        // The blocked path calls geqrf and orgqr itself; ND4J's lapack().geqrf runs the same two routines (plus a slow
        // copy of R). Below 128 columns both run LAPACK's unblocked code, whatever the CPU.
        for (DataType dt : new DataType[]{DataType.FLOAT, DataType.DOUBLE}) {
            for (int[] s : new int[][]{{300, 120}, {64, 64}}) {
                assertSameAsNd4jsQr(dt, s[0], s[1]);
            }
        }
    }

    @Test
    void blockedQrMakesNd4jsLapackCallsToTheLastBitPastTheCrossover() {
        // Past 128 columns the blocked code runs, and only a BLAS that gets it right gives a reproducible answer.
        for (DataType dt : new DataType[]{DataType.FLOAT, DataType.DOUBLE}) {
            Assumptions.assumeTrue(Init.isometryError(Init.householderQ(Init.gaussian(300, 160, 1, dt), true)) < 1e-3,
                    "this CPU's BLAS gets LAPACK's blocked " + dt + " QR wrong (see unblockedQr...)");
            assertSameAsNd4jsQr(dt, 300, 160);
        }
    }

    private static void assertSameAsNd4jsQr(DataType dt, int m, int n) {
        long seed = new Random(9).nextLong();
        INDArray a = Init.gaussian(m, n, seed, dt);
        INDArray r = Nd4j.create(dt, new long[]{n, n}, 'f');
        Nd4j.getBlasWrapper().lapack().geqrf(a, r);
        INDArray signs = Nd4j.create(dt, 1, n);
        for (int j = 0; j < n; j++) signs.putScalar(0, j, r.getDouble(j, j) < 0 ? -1.0 : 1.0);
        a.muliRowVector(signs);
        INDArray actual = Init.householderQ(Init.gaussian(m, n, seed, dt), true);
        // Bit for bit (INDArray.equals would allow 1e-5).
        assertArrayEquals(a.dup('c').data().asDouble(), actual.dup('c').data().asDouble(), 0.0, dt + " " + m + "x" + n);
    }

    @Test
    void unblockedQrIsOrthonormalAndIsLapacksOwnBelowItsCrossover() {
        // Past 128 columns LAPACK's blocked QR uses triangular matrix products (TRMM), which OpenBLAS 0.3.19 gets wrong
        // on some AVX-512 CPUs; the unblocked QR uses only matrix-vector products.
        for (DataType dt : new DataType[]{DataType.FLOAT, DataType.DOUBLE}) {
            double tol = dt == DataType.FLOAT ? 1e-5 : 1e-12;
            for (int[] s : new int[][]{{200, 144}, {144, 144}, {400, 300}}) {
                INDArray q = Init.householderQ(Init.gaussian(s[0], s[1], 4, dt), false).castTo(DataType.DOUBLE);
                double err = q.transpose().mmul(q).sub(Nd4j.eye(s[1])).amaxNumber().doubleValue();
                assertTrue(err < tol, dt + " " + s[0] + "x" + s[1] + " orthonormal to " + err);
                assertTrue(Init.isometryError(q) < tol, "the cheap check agrees");
            }
            // Below 128 columns geqrf and orgqr run this same unblocked code themselves: identical bits.
            INDArray blocked = Init.householderQ(Init.gaussian(150, 100, 8, dt), true);
            INDArray unblocked = Init.householderQ(Init.gaussian(150, 100, 8, dt), false);
            assertArrayEquals(blocked.dup('c').data().asDouble(), unblocked.dup('c').data().asDouble(), 0.0, dt.toString());
        }
    }

    @Test
    void isometryCheckRejectsAMatrixThatIsNotOrthonormal() {
        INDArray q = Init.householderQ(Init.gaussian(200, 144, 4, DataType.DOUBLE), false);
        assertTrue(Init.isometryError(q) < 1e-12);
        q.putScalar(10, 20, q.getDouble(10, 20) + 0.01);
        assertTrue(Init.isometryError(q) > 1e-6, "one entry off by 0.01: " + Init.isometryError(q));
        q.putScalar(3, 7, Double.NaN);
        assertEquals(Double.POSITIVE_INFINITY, Init.isometryError(q));
    }

    @Test
    void largeWeightsAreOrthonormalWhateverTheBlas() {
        // Sizes past LAPACK's 128-column crossover, in both precisions: the shapes the networks use.
        for (DataType dt : new DataType[]{DataType.FLOAT, DataType.DOUBLE}) {
            for (int[] s : new int[][]{{600, 400}, {256, 1152}}) {
        INDArray w = Init.orthogonal(s[0], s[1], new Random(11), dt).castTo(DataType.DOUBLE);
        INDArray gram = s[0] >= s[1] ? w.transpose().mmul(w) : w.mmul(w.transpose());
        double err = gram.sub(Nd4j.eye(Math.min(s[0], s[1]))).amaxNumber().doubleValue();
        assertTrue(err < (dt == DataType.FLOAT ? 1e-5 : 1e-12), dt + " " + s[0] + "x" + s[1] + ": " + err);
            }
        }
    }
}
