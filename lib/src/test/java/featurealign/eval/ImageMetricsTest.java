package featurealign.eval;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

import static org.junit.jupiter.api.Assertions.*;

class ImageMetricsTest {

    /** The images of src/test/resources/eval/ssim_reference.py, built from the same formulas. */
    private static INDArray[] referencePair() {
        int n = 2, c = 3, h = 16, w = 20;
        double[] x = new double[n * c * h * w];
        double[] y = new double[x.length];
        int at = 0;
        for (int in = 0; in < n; in++) {
            for (int ic = 0; ic < c; ic++) {
                for (int i = 0; i < h; i++) {
                    for (int j = 0; j < w; j++, at++) {
                        x[at] = 0.5 + 0.45 * Math.sin(0.37 * i + 0.23 * j * (ic + 1) + 1.1 * in);
                        y[at] = Math.min(1, Math.max(0, x[at] + 0.2 * Math.cos(0.51 * i * j / 7.0 + 0.9 * ic + 0.3 * in)));
                    }
                }
            }
        }
        long[] shape = {n, c, h, w};
        return new INDArray[]{Nd4j.create(x, shape, 'c'), Nd4j.create(y, shape, 'c')};
    }

    @Test
    void ssimMatchesTheNumpyReference() {
        INDArray[] pair = referencePair();
        // Values printed by ssim_reference.py (scipy gaussian_filter as skimage does it, checked against a plain
        // window loop to 1e-12).
        assertArrayEquals(new double[]{0.8658636265284262, 0.8706008900046242}, ImageMetrics.ssim(pair[0], pair[1]),
                1e-12);
        assertEquals(0.8682322582665252, ImageMetrics.meanSsim(pair[0], pair[1]), 1e-12);
        assertArrayEquals(new double[]{0.014577416353437402, 0.01566517458381515}, ImageMetrics.mse(pair[0], pair[1]),
                1e-15);
        // Symmetric in its arguments, and float input gives the same to float precision.
        assertEquals(0.8682322582665252, ImageMetrics.meanSsim(pair[1], pair[0]), 1e-12);
        assertEquals(0.8682322582665252,
                ImageMetrics.meanSsim(pair[0].castTo(DataType.FLOAT), pair[1].castTo(DataType.FLOAT)), 1e-6);
    }

    @Test
    void identicalImagesGiveSsimOneAndInfinitePsnr() {
        INDArray x = referencePair()[0];
        assertArrayEquals(new double[]{1, 1}, ImageMetrics.ssim(x, x.dup()), 1e-12);
        assertArrayEquals(new double[]{0, 0}, ImageMetrics.mse(x, x.dup()));
        assertEquals(Double.POSITIVE_INFINITY, ImageMetrics.psnr(x, x.dup())[0]);
        assertEquals(Double.POSITIVE_INFINITY, ImageMetrics.psnrOfMeanMse(x, x.dup()));
    }

    @Test
    void constantOffsetGivesKnownMseAndPsnr() {
        Nd4j.getRandom().setSeed(3);
        INDArray x = Nd4j.rand(DataType.FLOAT, 3, 1, 12, 12).muli(0.8);
        double delta = 0.1;
        INDArray shifted = x.add(delta);
        double[] mse = ImageMetrics.mse(x, shifted);
        for (double m : mse) {
            assertEquals(delta * delta, m, 1e-8); // float input: δ is stored to ~1e-8
        }
        assertEquals(20.0, ImageMetrics.psnr(x, shifted)[1], 1e-5); // -10·log10(0.01)
        assertEquals(20.0, ImageMetrics.psnrFromMse(0.01), 1e-12);
        assertEquals(-10 * Math.log10(0.0004), ImageMetrics.psnrFromMse(0.0004), 1e-12);
    }

    @Test
    void perImageValuesAndTheirMeansDifferAsDocumented() {
        // Image 0 off by 0.1 everywhere, image 1 identical: per-image PSNR is (20, +inf); PSNR of mean MSE is finite.
        INDArray a = Nd4j.zeros(DataType.DOUBLE, 2, 1, 11, 11);
        INDArray b = a.dup();
        b.get(org.nd4j.linalg.indexing.NDArrayIndex.point(0)).addi(0.1);
        ImageMetrics.Summary summary = ImageMetrics.summarize(a, b);
        assertEquals(2, summary.images());
        assertEquals(0.005, summary.meanMse(), 1e-15);
        assertEquals(-10 * Math.log10(0.005), summary.psnrOfMeanMse(), 1e-12);
        assertEquals(Double.POSITIVE_INFINITY, summary.meanPsnr());
        assertArrayEquals(new double[]{20, Double.POSITIVE_INFINITY}, ImageMetrics.psnr(a, b), 1e-12);
    }

    @Test
    void ssimDropsWithNoiseAndHandlesViews() {
        INDArray x = referencePair()[0];
        Nd4j.getRandom().setSeed(11);
        INDArray small = Transforms.min(Transforms.max(x.add(Nd4j.randn(DataType.DOUBLE, x.shape()).muli(0.02)), 0), 1);
        INDArray large = Transforms.min(Transforms.max(x.add(Nd4j.randn(DataType.DOUBLE, x.shape()).muli(0.2)), 0), 1);
        double ssimSmall = ImageMetrics.meanSsim(x, small);
        double ssimLarge = ImageMetrics.meanSsim(x, large);
        assertTrue(ssimSmall < 1 && ssimLarge < ssimSmall, ssimSmall + " vs " + ssimLarge);
        // A permuted view (NHWC stored, NCHW viewed) must give the same numbers as a packed copy.
        INDArray nhwc = x.permute(0, 2, 3, 1).dup('c');
        INDArray nchwView = nhwc.permute(0, 3, 1, 2);
        assertArrayEquals(ImageMetrics.ssim(x, large), ImageMetrics.ssim(nchwView, large), 1e-12);
    }

    @Test
    void spreadIsTheMeanPerPixelStandardDeviationAcrossImages() {
        INDArray same = Nd4j.valueArrayOf(new long[]{5, 1, 4, 4}, 0.3);
        assertEquals(0.0, ImageMetrics.spread(same), 1e-15, "identical images do not spread");
        // Two images, one pixel apart by 0.4 everywhere: per-pixel population std 0.2.
        INDArray two = Nd4j.concat(0, Nd4j.valueArrayOf(new long[]{1, 3, 2, 2}, 0.1), Nd4j.valueArrayOf(new long[]{1, 3, 2, 2}, 0.5));
        assertEquals(0.2, ImageMetrics.spread(two), 1e-7);
        // Half the pixels vary, half do not: the mean halves.
        INDArray half = two.dup();
        half.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 1)).assign(0.7);
        assertEquals(0.2 * 2 / 3, ImageMetrics.spread(half), 1e-7);
        assertThrows(IllegalArgumentException.class, () -> ImageMetrics.spread(Nd4j.zeros(1, 1, 4, 4)));
    }

    @Test
    void rejectsBadShapesWithClearMessages() {
        INDArray four = Nd4j.zeros(2, 1, 12, 12);
        IllegalArgumentException rank = assertThrows(IllegalArgumentException.class,
                () -> ImageMetrics.mse(Nd4j.zeros(2, 144), four));
        assertTrue(rank.getMessage().contains("rank 4"), rank.getMessage());
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                () -> ImageMetrics.mse(four, Nd4j.zeros(2, 1, 12, 13)));
        assertTrue(shape.getMessage().contains("same shape"), shape.getMessage());
        IllegalArgumentException tiny = assertThrows(IllegalArgumentException.class,
                () -> ImageMetrics.ssim(Nd4j.zeros(1, 1, 10, 30), Nd4j.zeros(1, 1, 10, 30)));
        assertTrue(tiny.getMessage().contains("11x11"), tiny.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ImageMetrics.psnrFromMse(-1));
    }

    @Test
    void sharpnessOfABlurredSetIsLowerAndARatioToItselfIsOne() {
        INDArray images = Nd4j.rand(DataType.DOUBLE, 6, 3, 16, 16);
        assertEquals(1.0, ImageMetrics.sharpnessRatio(images, images), 1e-12);
        try (INDArray blurred = Augmentation.blurred(images, 1.0)) {
            assertTrue(ImageMetrics.sharpnessRatio(blurred, images) < 0.5, "blur must lower gradient energy");
        }
        // A hand-computed case: one 1×2×2 image [[0,1],[0,1]]: pairs (0,1),(0,1) horizontally, (0,0),(1,1) vertically.
        INDArray tiny = Nd4j.create(new double[]{0, 1, 0, 1}, new long[]{1, 1, 2, 2}, 'c');
        assertEquals(0.5, ImageMetrics.sharpness(tiny), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> ImageMetrics.sharpnessRatio(images, Nd4j.zeros(DataType.DOUBLE, 2, 3, 16, 16)));
    }

    @Test
    void colourfulnessIsZeroForGreyAndFollowsItsFormula() {
        INDArray grey = Nd4j.rand(DataType.DOUBLE, 4, 1, 8, 8).repeat(1, 3);
        assertEquals(0.0, ImageMetrics.colourfulness(grey), 1e-12);
        // One 1×3×1×2 image: pixel 1 pure red (rg 1, yb 0.5), pixel 2 black (0, 0). μ_rg ½, μ_yb ¼, σ_rg ½, σ_yb ¼.
        INDArray hand = Nd4j.create(new double[]{1, 0, 0, 0, 0, 0}, new long[]{1, 3, 1, 2}, 'c');
        double expected = Math.sqrt(0.25 + 0.0625) + 0.3 * Math.sqrt(0.25 + 0.0625);
        assertEquals(expected, ImageMetrics.colourfulness(hand), 1e-12);
        // Saturating a natural-looking set's colours (a colour cast in patches) raises the ratio above 1.
        INDArray base = Nd4j.rand(DataType.DOUBLE, 6, 1, 8, 8).muli(0.2).addi(0.4);
        INDArray muted = Nd4j.concat(1, base, base.mul(0.95), base.mul(0.9));
        INDArray saturated = Nd4j.concat(1, base.mul(1.5), base.mul(0.5), base.mul(0.3));
        assertTrue(ImageMetrics.colourfulnessRatio(saturated, muted) > 3, "saturated patches must score far above");
        assertEquals(1.0, ImageMetrics.colourfulnessRatio(muted, muted), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> ImageMetrics.colourfulness(Nd4j.zeros(DataType.DOUBLE, 2, 1, 4, 4)));
        assertThrows(IllegalArgumentException.class, () -> ImageMetrics.colourfulnessRatio(muted, grey));
    }

    @Test
    void channelMeansAreTakenPerChannel() {
        INDArray images = Nd4j.zeros(DataType.DOUBLE, 2, 3, 4, 4);
        images.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.point(1)).assign(0.5);
        images.get(org.nd4j.linalg.indexing.NDArrayIndex.point(0), org.nd4j.linalg.indexing.NDArrayIndex.point(2)).assign(1.0);
        assertArrayEquals(new double[]{0, 0.5, 0.5}, ImageMetrics.channelMeans(images), 1e-12);
        assertEquals(0.5, ImageMetrics.maxAbsDifference(ImageMetrics.channelMeans(images), new double[]{0, 0, 0.5}), 1e-12);
        assertEquals("(0.000, 0.500, 0.500)", ImageMetrics.formatMeans(ImageMetrics.channelMeans(images)));
    }
}
