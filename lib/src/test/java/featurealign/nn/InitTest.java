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
            double[][] q = Init.orthogonal(s[0], s[1], new Random(3));
            INDArray m = Nd4j.createFromArray(q);
            // Orthonormal columns when tall, rows when wide: the small Gram matrix is the identity.
            INDArray gram = s[0] >= s[1] ? m.transpose().mmul(m) : m.mmul(m.transpose());
            assertEquals(0.0, gram.sub(Nd4j.eye(Math.min(s[0], s[1]))).amaxNumber().doubleValue(), 1e-12, "shape " + s[0] + "x" + s[1]);
            assertArrayEquals(q[0], Init.orthogonal(s[0], s[1], new Random(3))[0], 0.0, "same seed, same matrix");
        }
        assertNotEquals(Init.orthogonal(6, 6, new Random(1))[0][0], Init.orthogonal(6, 6, new Random(2))[0][0]);
    }

    @Test
    void floatQrIsOrthonormalToFloatRoundingAndMatchesTheDoubleOne() {
        for (int[] s : new int[][]{{300, 120}, {120, 300}}) {
            double[][] f = Init.orthogonal(s[0], s[1], new Random(5), DataType.FLOAT);
            double[][] d = Init.orthogonal(s[0], s[1], new Random(5), DataType.DOUBLE);
            INDArray m = Nd4j.createFromArray(f);
            INDArray gram = s[0] >= s[1] ? m.transpose().mmul(m) : m.mmul(m.transpose());
            double err = gram.sub(Nd4j.eye(Math.min(s[0], s[1]))).amaxNumber().doubleValue();
            assertTrue(err < 1e-5, "float QR orthonormal to " + err);
            // Same Gaussian matrix, same sign convention: the same Q up to float32 rounding.
            assertEquals(0.0, m.sub(Nd4j.createFromArray(d)).amaxNumber().doubleValue(), 1e-4);
        }
        assertThrows(IllegalArgumentException.class, () -> Init.orthogonal(3, 3, new Random(1), DataType.HALF));
    }

    @Test
    void biasesWithinTheFanInBound() {
        INDArray b = Init.uniformBias(1000, 25, new Random(1));
        assertTrue(b.amaxNumber().doubleValue() <= 0.2);
        assertTrue(b.amaxNumber().doubleValue() > 0.19, "spans the range");
    }
}
