package featurealign.eval;

import featurealign.eval.JudgeFixtures.Labelled;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.Random;

import static featurealign.eval.JudgeFixtures.CLASSES;
import static org.junit.jupiter.api.Assertions.*;

class SampleQualityTest {

    static SampleQuality quality;
    static Labelled real;

    @BeforeAll
    static void trainJudge() {
        Labelled train = JudgeFixtures.squares(800, 11);
        quality = new SampleQuality(Judge.train(train.images(), train.labels(), CLASSES, JudgeFixtures.SMALL, null));
        real = JudgeFixtures.squares(600, 12);
    }

    private static INDArray rows(INDArray a, int from, int to) {
        return a.get(NDArrayIndex.interval(from, to), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all());
    }

    @Test
    void accuracyCountsImagesClassifiedAsRequested() {
        int[] truth = {0, 1, 2, 3, 0, 1, 2, 3};
        INDArray clean = JudgeFixtures.squares(truth, new Random(3), 0.0);
        assertArrayEquals(truth, quality.judge().predict(clean), "the judge must get clean squares right");
        int[] requested = {0, 1, 2, 3, 1, 2, 3, 3}; // images 4, 5 and 6 are not what was asked for
        assertEquals(5.0 / 8, quality.accuracy(clean, requested), 0.0);
        assertEquals(1.0, quality.accuracy(clean, truth), 0.0);
    }

    @Test
    void labelHistogramCountsPredictions() {
        int[] labels = {3, 3, 3, 0, 1, 1};
        INDArray images = JudgeFixtures.squares(labels, new Random(4), 0.1);
        assertArrayEquals(new int[]{1, 2, 0, 3}, quality.labelHistogram(images));
        assertEquals("0:1 1:2 2:0 3:3", SampleQuality.formatHistogram(new int[]{1, 2, 0, 3}));
    }

    @Test
    void identicalSetsHaveFrechetZero() {
        INDArray a = rows(real.images(), 0, 300);
        // Zero up to rounding: the judge's features are float32, and with two threads the order of ND4J's reductions
        // moves the last bits (1.6e-6 seen); the real-vs-real floor of such sets is orders of magnitude larger.
        assertEquals(0.0, quality.frechet(a, a.dup()), 1e-5);
        assertEquals(0.0, quality.frechet(a, quality.statistics(a)), 1e-5);
    }

    @Test
    void frechetSeparatesAWrongDistributionFromTheRealFloor() {
        INDArray realA = rows(real.images(), 0, 300), realB = rows(real.images(), 300, 600);
        double floor = quality.realFloor(realA, realB);
        // A "generator" that only ever draws class 0: right-looking images, wrong class distribution.
        INDArray collapsed = JudgeFixtures.squares(new int[300], new Random(5), 0.3);
        SampleQuality.Comparison c = quality.compare(collapsed, realA, realB);
        System.out.println("synthetic: mode-collapsed " + c);
        assertEquals(floor, c.realFloor(), 1e-12 * floor, "compare reports realFloor(real, realOther)");
        assertEquals(quality.frechet(collapsed, realA), c.frechet(), 1e-9 * c.frechet());
        assertEquals(300, c.count());
        assertTrue(floor > 0, "two different samples are never at distance 0");
        assertTrue(c.frechet() > 10 * floor, c.toString());
        assertTrue(c.toString().contains("floor"), c.toString());
    }

    @Test
    void realFloorNeedsTwoDisjointSetsOfTheSameSize() {
        INDArray a = rows(real.images(), 0, 200);
        IllegalArgumentException size = assertThrows(IllegalArgumentException.class,
                () -> quality.realFloor(a, rows(real.images(), 200, 500)));
        assertTrue(size.getMessage().contains("same number of images"), size.getMessage());
        INDArray overlapping = Nd4j.concat(0, rows(real.images(), 300, 499), rows(real.images(), 17, 18));
        IllegalArgumentException shared = assertThrows(IllegalArgumentException.class,
                () -> quality.realFloor(a, overlapping));
        assertTrue(shared.getMessage().contains("image 17 of the first equals image 199 of the second"),
                shared.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> quality.compare(rows(real.images(), 0, 100), a, rows(real.images(), 200, 400)));
    }
}
