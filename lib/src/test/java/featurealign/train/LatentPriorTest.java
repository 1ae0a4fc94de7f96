package featurealign.train;

import featurealign.data.ImageSet;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** The class Gaussian prior: what it fits, how it turns ε into z, and how a checkpoint stores it. */
class LatentPriorTest {

    @Test
    void theFitReproducesTheClassMeansAndMaximumLikelihoodDeviations() {
        // Two classes, Z = 2: class 0 at (1, −2) ± (1, 0), class 1 at (5, 5) ± (2, 3), in shuffled order.
        double[][] mu = {{0, -2}, {3, 2}, {2, -2}, {7, 8}, {1, -2}, {5, 5}};
        int[] classes = {0, 1, 0, 1, 0, 1};
        LatentPrior p = LatentPrior.fromLatents(mu, classes, 2, 17);
        assertArrayEquals(new double[]{1, -2}, p.meanArray().getRow(0).toDoubleVector(), 1e-15);
        assertArrayEquals(new double[]{5, 5}, p.meanArray().getRow(1).toDoubleVector(), 1e-15);
        // Biased (divide by n): class 0's first latent {0, 2, 1} has variance 2/3; class 1's {3, 7, 5} has 8/3 and {2, 8, 5} 18/3.
        assertArrayEquals(new double[]{Math.sqrt(2.0 / 3), 0}, p.stdArray().getRow(0).toDoubleVector(), 1e-15);
        assertArrayEquals(new double[]{Math.sqrt(8.0 / 3), Math.sqrt(6)}, p.stdArray().getRow(1).toDoubleVector(), 1e-15);
        assertArrayEquals(new long[]{3, 3}, p.counts());
        assertEquals(6, p.imageCount());
        assertEquals(17, p.encoderStep());
    }

    @Test
    void manyDrawsReproduceTheirClassMeans() {
        Random r = new Random(3);
        int n = 3000, z = 5;
        double[][] mu = new double[n][z];
        int[] classes = new int[n];
        for (int i = 0; i < n; i++) {
            classes[i] = i % 3;
            for (int j = 0; j < z; j++) mu[i][j] = 10 * classes[i] - j + 0.5 * r.nextGaussian();
        }
        LatentPrior p = LatentPrior.fromLatents(Nd4j.createFromArray(mu).castTo(DataType.FLOAT), classes, 3, 0);
        for (int c = 0; c < 3; c++) {
            for (int j = 0; j < z; j++) {
                assertEquals(10 * c - j, p.meanArray().getDouble(c, j), 0.05, "class " + c + " latent " + j);
                assertEquals(0.5, p.stdArray().getDouble(c, j), 0.03);
            }
        }
    }

    @Test
    void aClassWithoutImagesIsAnErrorThatNamesIt() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> LatentPrior.fromLatents(new double[][]{{1}, {2}}, new int[]{0, 2}, 3, 0));
        assertTrue(e.getMessage().contains("class 1") && e.getMessage().contains("sampling.prior"), e.getMessage());
        var out = assertThrows(IllegalArgumentException.class,
                () -> LatentPrior.fromLatents(new double[][]{{1}}, new int[]{3}, 3, 0));
        assertTrue(out.getMessage().contains("outside 0..2"), out.getMessage());
    }

    @Test
    void latentsAreMeanPlusStdTimesEpsAndEqualTheMeansWithStdZero() {
        LatentPrior p = new LatentPrior(new double[][]{{1, 2}, {-3, 4}}, new double[][]{{0.5, 2}, {0, 0}}, new long[]{1, 1}, 0);
        INDArray eps = Nd4j.createFromArray(new double[][]{{1, -1}, {2, 3}, {0.25, 0.5}}).castTo(DataType.FLOAT);
        INDArray z = p.latents(eps, new int[]{0, 1, 0});
        assertEquals(DataType.FLOAT, z.dataType());
        assertArrayEquals(new double[]{1.5, 0, -3, 4, 1.125, 3}, z.castTo(DataType.DOUBLE).data().asDouble(), 1e-7);
        var e = assertThrows(IllegalArgumentException.class, () -> p.latents(eps, new int[]{0, 2, 0}));
        assertTrue(e.getMessage().contains("class 2"), e.getMessage());
    }

    @Test
    void classIdsAreTheArgmaxOfTheConditioningRowsAndOneGaussianIgnoresThem() {
        LatentPrior three = new LatentPrior(new double[3][1], new double[3][1], new long[]{1, 1, 1}, 0);
        INDArray cond = Conditioning.oneHot(new int[]{2, 0, 1, 2}, 3, DataType.FLOAT);
        assertArrayEquals(new int[]{2, 0, 1, 2}, three.classesOf(cond, 4));
        var none = assertThrows(IllegalArgumentException.class, () -> three.classesOf(null, 4));
        assertTrue(none.getMessage().contains("[4,3]"), none.getMessage());
        var zero = assertThrows(IllegalArgumentException.class, () -> three.classesOf(Nd4j.zeros(DataType.FLOAT, 2, 3), 2));
        assertTrue(zero.getMessage().contains("row 0"), zero.getMessage());
        LatentPrior one = new LatentPrior(new double[1][1], new double[1][1], new long[]{1}, 0);
        assertArrayEquals(new int[3], one.classesOf(null, 3));
    }

    @Test
    void fitEncodesTheTrainingImagesWithTheCurrentEncoder() {
        FaModel m = new FaModel(TinyRuns.tinyConfig(1, 0));
        ImageSet data = TinyRuns.squares(30, 2);
        LatentPrior p = LatentPrior.fit(m, data, 1000);
        INDArray mu = m.encode(data.toNCHW(data.allIndices(), DataType.FLOAT)).mean();
        int[] labels = new int[data.size()];
        for (int i = 0; i < labels.length; i++) labels[i] = data.label(i);
        LatentPrior expected = LatentPrior.fromLatents(mu, labels, 3, 0);
        assertEquals(3, p.classes());
        assertEquals(TinyRuns.TINY.latent(), p.latent());
        assertArrayEquals(new long[]{10, 10, 10}, p.counts());
        assertArrayEquals(expected.meanArray().data().asDouble(), p.meanArray().data().asDouble(), 1e-6);
        assertArrayEquals(expected.stdArray().data().asDouble(), p.stdArray().data().asDouble(), 1e-6);
        assertTrue(p.stdArray().sumNumber().doubleValue() > 0, "images differ, so their μ's do");

        LatentPrior sub = LatentPrior.fit(m, data, 12);
        assertEquals(12, sub.imageCount(), "sampling.fitImages caps the images");
        assertArrayEquals(sub.meanArray().data().asDouble(), LatentPrior.fit(m, data, 12).meanArray().data().asDouble(), 0.0,
                "the same seeded subset every time");
        assertArrayEquals(LatentPrior.fitIndices(data, 12, 1), LatentPrior.fitIndices(data, 12, 1));
        assertArrayEquals(data.allIndices(), LatentPrior.fitIndices(data, 30, 1));

        // Unconditioned: one Gaussian over every image.
        FaModel u = new FaModel(TinyRuns.tinyConfig(1, 0).withArchitecture(TinyRuns.TINY.withConditioning(0)));
        assertEquals(1, LatentPrior.fit(u, data, 1000).classes());
        assertEquals(30, LatentPrior.fit(u, data, 1000).imageCount());
    }

    @Test
    void aClassMissingFromTheTrainingImagesIsAnErrorNamingTheSetting() {
        FaModel m = new FaModel(TinyRuns.tinyConfig(1, 0));
        ImageSet twoClasses = TinyRuns.squares(30, 2).subset(new int[]{0, 1, 3, 4, 6, 7}); // labels 0 and 1 only
        var e = assertThrows(IllegalArgumentException.class, () -> LatentPrior.fit(m, twoClasses, 1000));
        assertTrue(e.getMessage().contains("class 2") && e.getMessage().contains("sampling.fitImages"), e.getMessage());
    }

    @Test
    void samplesConsumeTheNoiseOfTheStandardPriorAndStdZeroGivesTheMeansImages() {
        FaModel m = new FaModel(TinyRuns.tinyConfig(1, 0));
        INDArray cond = Conditioning.oneHot(new int[]{0, 1, 2, 1}, 3, DataType.FLOAT);
        Random r = new Random(1);
        double[][] means = new double[3][4];
        for (double[] row : means) for (int j = 0; j < 4; j++) row[j] = r.nextGaussian();
        LatentPrior zeroStd = new LatentPrior(means, new double[3][4], new long[]{1, 1, 1}, 0);
        Noise a = new Noise(5), b = new Noise(5);
        INDArray fromPrior = m.sample(4, cond, a, zeroStd);
        m.sample(4, cond, b, null);
        assertEquals(b.nextLong(), a.nextLong(), "both priors draw the same numbers from the stream");

        INDArray meansOfRows = Nd4j.createFromArray(new double[][]{means[0], means[1], means[2], means[1]}).castTo(DataType.FLOAT);
        INDArray expected = m.align(meansOfRows, cond, null);
        assertArrayEquals(expected.data().asDouble(), fromPrior.data().asDouble(), 0.0, "std 0: z is the class mean");
    }

    @Test
    void checkpointArraysRoundTripBitForBitAndPartialOnesAreAnError() throws Exception {
        Random r = new Random(9);
        double[][] mean = new double[3][4], std = new double[3][4];
        for (int c = 0; c < 3; c++) for (int j = 0; j < 4; j++) { mean[c][j] = r.nextGaussian(); std[c][j] = Math.abs(r.nextGaussian()); }
        LatentPrior p = new LatentPrior(mean, std, new long[]{4, 5, 6}, 42);
        Path file = Path.of("ckpt.zip");
        LatentPrior back = LatentPrior.fromArrays(p.toArrays(), 4, file);
        assertArrayEquals(p.meanArray().data().asDouble(), back.meanArray().data().asDouble(), 0.0);
        assertArrayEquals(p.stdArray().data().asDouble(), back.stdArray().data().asDouble(), 0.0);
        assertArrayEquals(p.counts(), back.counts());
        assertEquals(42, back.encoderStep());
        assertNull(LatentPrior.fromArrays(Map.of(), 4, file), "no prior arrays: no prior");

        Map<String, INDArray> partial = new HashMap<>(p.toArrays());
        partial.remove(LatentPrior.STD);
        var e = assertThrows(Checkpoint.CheckpointException.class, () -> LatentPrior.fromArrays(partial, 4, file));
        assertTrue(e.getMessage().contains("ckpt.zip") && e.getMessage().contains(LatentPrior.STD), e.getMessage());
        var z = assertThrows(Checkpoint.CheckpointException.class, () -> LatentPrior.fromArrays(p.toArrays(), 8, file));
        assertTrue(z.getMessage().contains("[K,8]"), z.getMessage());
    }
}
