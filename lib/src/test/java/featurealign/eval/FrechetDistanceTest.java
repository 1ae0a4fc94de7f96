package featurealign.eval;

import featurealign.eval.FrechetDistance.Statistics;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class FrechetDistanceTest {

    /** The feature sets of src/test/resources/eval/frechet_reference.py. */
    private static double[][][] referenceSets() {
        int n = 40, dims = 5;
        double[][] a = new double[n][dims];
        double[][] b = new double[n][dims];
        for (int i = 0; i < n; i++) {
            for (int d = 0; d < dims; d++) {
                a[i][d] = Math.sin(0.7 * i * (d + 1) + d) + 0.1 * d;
                b[i][d] = Math.cos(0.3 * i * (d + 1) + 1.3 * d * d) * (1 + 0.2 * d) + 0.5;
            }
        }
        return new double[][][]{a, b};
    }

    private static double[][] diagonal(double... values) {
        double[][] m = new double[values.length][values.length];
        for (int i = 0; i < values.length; i++) {
            m[i][i] = values[i];
        }
        return m;
    }

    /** Q·M·Qᵀ for a rotation Q by {@code angle} in the plane of axes 0 and 1. */
    private static double[][] rotated(double[][] m, double angle) {
        int n = m.length;
        double[][] q = new double[n][n];
        for (int i = 0; i < n; i++) {
            q[i][i] = 1;
        }
        q[0][0] = Math.cos(angle);
        q[0][1] = -Math.sin(angle);
        q[1][0] = Math.sin(angle);
        q[1][1] = Math.cos(angle);
        double[][] out = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                for (int k = 0; k < n; k++) {
                    for (int l = 0; l < n; l++) {
                        out[i][j] += q[i][k] * m[k][l] * q[j][l];
                    }
                }
            }
        }
        return out;
    }

    @Test
    void matchesScipyOnCorrelatedFeatures() {
        double[][][] sets = referenceSets();
        Statistics first = Statistics.of(sets[0]);
        // np.cov(a, rowvar=False)[0] printed by frechet_reference.py
        assertArrayEquals(new double[]{0.5116713389333761, -0.024186746338348785, 0.0024964461194550073,
                -0.0073957185534916595, 0.00828930292512808}, first.covariance()[0], 1e-14);
        assertEquals(1.2019093535903673, FrechetDistance.between(first, Statistics.of(sets[1])), 1e-10);
        INDArray a = Nd4j.createFromArray(sets[0]);
        INDArray b = Nd4j.createFromArray(sets[1]);
        assertEquals(1.2019093535903673, FrechetDistance.between(a, b), 1e-10);
    }

    @Test
    void unbiasedCovarianceOnAHandCase() {
        Statistics s = Statistics.of(new double[][]{{1, 2}, {3, 4}, {5, 0}});
        assertArrayEquals(new double[]{3, 2}, s.mean(), 1e-15);
        assertArrayEquals(new double[]{4, -2}, s.covariance()[0], 1e-15);
        assertArrayEquals(new double[]{-2, 4}, s.covariance()[1], 1e-15);
    }

    @Test
    void identicalSetsAreAtDistanceZero() {
        double[][][] sets = referenceSets();
        assertEquals(0, FrechetDistance.between(Statistics.of(sets[0]), Statistics.of(sets[0])), 1e-10);
        // Fewer samples than dimensions: singular covariance, still ≈ 0.
        Nd4j.getRandom().setSeed(5);
        INDArray few = Nd4j.randn(DataType.DOUBLE, 4, 10);
        assertEquals(0, FrechetDistance.between(few, few.dup()), 1e-7);
    }

    @Test
    void diagonalGaussiansFollowTheClosedForm() {
        double[] mu1 = {0, 1, -2};
        double[] mu2 = {1, 1, 0};
        double[] var1 = {1, 4, 0.25};
        double[] var2 = {9, 1, 0.25};
        // ‖Δμ‖² + Σ(√a − √b)² = (1 + 0 + 4) + ((1−3)² + (2−1)² + 0) = 10
        double expected = 10;
        Statistics first = new Statistics(mu1, diagonal(var1));
        Statistics second = new Statistics(mu2, diagonal(var2));
        assertEquals(expected, FrechetDistance.between(first, second), 1e-12);
        // Rotating both covariances the same way leaves the trace term unchanged but makes them non-diagonal and
        // non-commuting with the axes, which exercises the eigendecomposition path.
        Statistics rotatedFirst = new Statistics(mu1, rotated(diagonal(var1), 0.7));
        Statistics rotatedSecond = new Statistics(mu2, rotated(diagonal(var2), 0.7));
        assertNotEquals(0, rotatedFirst.covariance()[0][1], 1e-3);
        assertEquals(expected, FrechetDistance.between(rotatedFirst, rotatedSecond), 1e-10);
    }

    @Test
    void samplesApproachTheClosedForm() {
        Random random = new Random(42);
        int n = 20000;
        double[][] a = new double[n][2];
        double[][] b = new double[n][2];
        for (int i = 0; i < n; i++) {
            a[i][0] = random.nextGaussian();           // N(0, 1)
            a[i][1] = 2 * random.nextGaussian();       // N(0, 4)
            b[i][0] = 1 + 3 * random.nextGaussian();   // N(1, 9)
            b[i][1] = random.nextGaussian();           // N(0, 1)
        }
        // 1 + (1−3)² + (2−1)² = 6
        assertEquals(6, FrechetDistance.between(Statistics.of(a), Statistics.of(b)), 0.1);
    }

    @Test
    void symmetricAndScalesWithTheSquare() {
        double[][][] sets = referenceSets();
        INDArray a = Nd4j.createFromArray(sets[0]);
        INDArray b = Nd4j.createFromArray(sets[1]);
        double ab = FrechetDistance.between(a, b);
        assertEquals(ab, FrechetDistance.between(b, a), 1e-10);
        assertEquals(9 * ab, FrechetDistance.between(a.mul(3), b.mul(3)), 1e-9);
        // Translating both sets together changes nothing.
        assertEquals(ab, FrechetDistance.between(a.add(5), b.add(5)), 1e-9);
    }

    @Test
    void rejectsBadInputWithClearMessages() {
        IllegalArgumentException rank = assertThrows(IllegalArgumentException.class,
                () -> FrechetDistance.between(Nd4j.zeros(3, 2, 2), Nd4j.zeros(3, 4)));
        assertTrue(rank.getMessage().contains("[N,D]"), rank.getMessage());
        IllegalArgumentException one = assertThrows(IllegalArgumentException.class,
                () -> Statistics.of(new double[][]{{1, 2}}));
        assertTrue(one.getMessage().contains("at least 2"), one.getMessage());
        IllegalArgumentException dims = assertThrows(IllegalArgumentException.class,
                () -> FrechetDistance.between(Nd4j.rand(5, 3), Nd4j.rand(5, 4)));
        assertTrue(dims.getMessage().contains("3 vs 4"), dims.getMessage());
        IllegalArgumentException nan = assertThrows(IllegalArgumentException.class,
                () -> Statistics.of(new double[][]{{1, 2}, {Double.NaN, 0}}));
        assertTrue(nan.getMessage().contains("row 1, column 0"), nan.getMessage());
    }
}
