package featurealign.nn;

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
    void directLapackCallsGiveNd4jsQrToTheLastBit() {
        // Init calls geqrf and orgqr itself; ND4J's lapack().geqrf runs the same two routines (plus a slow copy of R).
        for (DataType dt : new DataType[]{DataType.FLOAT, DataType.DOUBLE}) {
            for (int[] s : new int[][]{{300, 120}, {120, 300}, {64, 64}}) {
                int m = Math.max(s[0], s[1]), n = Math.min(s[0], s[1]);
                java.util.SplittableRandom gauss = new java.util.SplittableRandom(new Random(9).nextLong());
                double[] g = new double[m * n];
                for (int i = 0; i < g.length; i++) g[i] = dt == DataType.FLOAT ? (float) gauss.nextGaussian() : gauss.nextGaussian();
                INDArray a = Nd4j.create(g, new long[]{m, n}, 'f').castTo(dt).dup('f');
                INDArray r = Nd4j.create(dt, new long[]{n, n}, 'f');
                Nd4j.getBlasWrapper().lapack().geqrf(a, r);
                INDArray signs = Nd4j.create(dt, 1, n);
                for (int j = 0; j < n; j++) signs.putScalar(0, j, r.getDouble(j, j) < 0 ? -1.0 : 1.0);
                a.muliRowVector(signs);
                INDArray expected = s[0] >= s[1] ? a : a.transpose();
                INDArray actual = Init.orthogonal(s[0], s[1], new Random(9), dt);
                // Bit for bit (INDArray.equals would allow 1e-5).
                assertArrayEquals(expected.dup('c').data().asDouble(), actual.dup('c').data().asDouble(), 0.0, dt + " " + s[0] + "x" + s[1]);
            }
        }
    }
}
