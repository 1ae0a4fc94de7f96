package featurealign.eval;

import featurealign.eval.FrechetDistance.Statistics;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Sample-quality numbers measured with a {@link Judge}: how often generated or reconstructed images are classified as
 * the class they were asked to be, the spread of predicted classes, and the Fréchet distance in the judge's feature
 * space (the kit's stand-in for FID; the values are not comparable with published FIDs, which use Inception features).
 *
 * <p>A Fréchet distance estimated from N samples is biased upwards, and more so for small N. So a generated-vs-real
 * number is only readable beside the {@linkplain #realFloor floor}: the distance between two disjoint real sets of the
 * same size N, which a perfect generator would reach. {@link #compare} gives both. Draw the two real sets at random
 * from one pool: MNIST's test file, for instance, holds two writer populations one after the other, and its first and
 * second halves are 25 apart in the MNIST judge's space where two random halves are 1.1 apart.
 *
 * <p>Images are {@code [N,C,H,W]} in [0,1], shaped as the judge's input.
 */
public final class SampleQuality {

    /**
     * A generated-vs-real Fréchet distance with its real-vs-real floor, both from {@code count} images per set, in
     * squared judge-feature units.
     */
    public record Comparison(double frechet, double realFloor, int count) {
        @Override public String toString() {
            return String.format(Locale.ROOT, "Fréchet %.4g (real-vs-real floor %.4g, %d images per set)", frechet,
                    realFloor, count);
        }
    }

    private final Judge judge;

    public SampleQuality(Judge judge) {
        this.judge = Objects.requireNonNull(judge, "judge");
    }

    public Judge judge() { return judge; }

    /** Fraction (0..1) of {@code images} the judge classifies as {@code requestedLabels} (one per image). */
    public double accuracy(INDArray images, int[] requestedLabels) {
        return judge.accuracy(images, requestedLabels);
    }

    /** Number of images the judge assigns to each class: length K, summing to N. */
    public int[] labelHistogram(INDArray images) {
        int[] counts = new int[judge.classes()];
        for (int p : judge.predict(images)) counts[p]++;
        return counts;
    }

    /** A histogram as {@code "0:98 1:102 …"} for printing. */
    public static String formatHistogram(int[] counts) {
        StringBuilder b = new StringBuilder();
        for (int k = 0; k < counts.length; k++) b.append(k == 0 ? "" : " ").append(k).append(':').append(counts[k]);
        return b.toString();
    }

    /** Mean and covariance of the judge features of {@code images} (N ≥ 2); reuse it for several comparisons. */
    public Statistics statistics(INDArray images) {
        try (INDArray features = judge.features(images)) {
            return Statistics.of(features);
        }
    }

    /** Fréchet distance between the judge features of {@code generated} and of {@code real} (each N ≥ 2). */
    public double frechet(INDArray generated, INDArray real) {
        return FrechetDistance.between(statistics(generated), statistics(real));
    }

    /** Fréchet distance between the judge features of {@code generated} and precomputed real statistics. */
    public double frechet(INDArray generated, Statistics real) {
        return FrechetDistance.between(statistics(generated), real);
    }

    /**
     * The floor of the Fréchet distance at this sample size: the distance between two disjoint real sets of the same
     * size (e.g. two halves of a test set).
     *
     * @throws IllegalArgumentException if the sets differ in size or share an image (exactly equal pixels)
     */
    public double realFloor(INDArray realA, INDArray realB) {
        requireSameSize(realA, "realA", realB, "realB");
        requireDisjoint(realA, realB);
        return FrechetDistance.between(statistics(realA), statistics(realB));
    }

    /**
     * Fréchet distance of {@code generated} against {@code real}, with the floor {@code realFloor(real, realOther)};
     * all three sets must have the same size N, and {@code real} and {@code realOther} must be disjoint.
     */
    public Comparison compare(INDArray generated, INDArray real, INDArray realOther) {
        requireSameSize(generated, "generated", real, "real");
        requireSameSize(real, "real", realOther, "realOther");
        requireDisjoint(real, realOther);
        Statistics realStatistics = statistics(real);
        double fd = FrechetDistance.between(statistics(generated), realStatistics);
        double floor = FrechetDistance.between(realStatistics, statistics(realOther)); // as realFloor(real, realOther)
        return new Comparison(fd, floor, (int) real.size(0));
    }

    private static void requireSameSize(INDArray a, String aName, INDArray b, String bName) {
        Objects.requireNonNull(a, aName);
        Objects.requireNonNull(b, bName);
        if (a.rank() == 0 || b.rank() == 0 || a.size(0) != b.size(0)) {
            throw new IllegalArgumentException(aName + " and " + bName + " must hold the same number of images (the "
                    + "Fréchet estimate's bias depends on it); got shapes " + Arrays.toString(a.shape()) + " and "
                    + Arrays.toString(b.shape()));
        }
    }

    /** Throws if some image of {@code b} has exactly the pixels of an image of {@code a}. */
    private static void requireDisjoint(INDArray a, INDArray b) {
        Map<Integer, List<Integer>> byHash = new HashMap<>();
        for (int i = 0; i < a.size(0); i++) {
            byHash.computeIfAbsent(Arrays.hashCode(pixels(a, i)), h -> new java.util.ArrayList<>()).add(i);
        }
        for (int j = 0; j < b.size(0); j++) {
            double[] pj = pixels(b, j);
            for (int i : byHash.getOrDefault(Arrays.hashCode(pj), List.of())) {
                if (Arrays.equals(pixels(a, i), pj)) {
                    throw new IllegalArgumentException("the two real sets must be disjoint, but image " + i
                            + " of the first equals image " + j + " of the second");
                }
            }
        }
    }

    private static double[] pixels(INDArray images, int i) {
        INDArray view = images.get(NDArrayIndex.point(i));
        return view.dup('c').data().asDouble();
    }
}
