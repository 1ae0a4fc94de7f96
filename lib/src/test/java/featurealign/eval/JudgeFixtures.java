package featurealign.eval;

import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;
import java.util.Random;

/**
 * Synthetic labelled images for judge tests: 1×12×12 images of dim uniform noise in [0, 0.3] with one bright 4×4
 * square; the class (0..3) is the quadrant holding the square, whose position inside the quadrant jitters by a pixel.
 */
final class JudgeFixtures {
    private JudgeFixtures() {}

    static final int SIZE = 12, CLASSES = 4;

    /** A small, quick judge for these images: stages 8 and 16, 16 features, 4 epochs of batch 32. */
    static final JudgeConfig SMALL = JudgeConfig.defaults().withStageWidths(List.of(8, 16)).withFeatureWidth(16)
            .withEpochs(4).withBatchSize(32).withSeed(7);

    record Labelled(INDArray images, int[] labels) {}

    static Labelled squares(int n, long seed) {
        Random rng = new Random(seed);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) labels[i] = rng.nextInt(CLASSES);
        return new Labelled(squares(labels, rng, 0.3), labels);
    }

    /** Images of the given classes; {@code noise} = 0 gives clean squares on black. */
    static INDArray squares(int[] labels, Random rng, double noise) {
        int n = labels.length;
        float[] v = new float[n * SIZE * SIZE];
        for (int i = 0; i < n; i++) {
            int base = i * SIZE * SIZE;
            for (int p = 0; p < SIZE * SIZE; p++) v[base + p] = (float) (noise * rng.nextDouble());
            int row = (labels[i] / 2) * 6 + 1 + rng.nextInt(2) - (rng.nextBoolean() ? 1 : 0);
            int col = (labels[i] % 2) * 6 + 1 + rng.nextInt(2) - (rng.nextBoolean() ? 1 : 0);
            for (int y = row; y < row + 4; y++) {
                for (int x = col; x < col + 4; x++) v[base + y * SIZE + x] = 1f;
            }
        }
        return Nd4j.create(v, new long[]{n, 1, SIZE, SIZE}, 'c');
    }
}
