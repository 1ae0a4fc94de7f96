package featurealign.eval;

import java.util.List;
import java.util.Locale;

/**
 * How a {@link Judge} is built and trained. Everything here (and the training data) enters the judge's cache key, so
 * changing any field never reuses a judge trained with other settings.
 *
 * @param stageWidths   channel widths of the conv stages; each stage is a 3×3 stride-1 conv and a 3×3 stride-2 conv
 *                      (halving H and W), each followed by a leaky ReLU. Empty = {@link #automaticStages}
 * @param featureWidth  width of the dense feature layer (the Fréchet feature space), e.g. 128
 * @param slope         leaky ReLU slope (0.01, PyTorch's default)
 * @param epochs        passes over the training set, ≥ 1
 * @param batchSize     training batch size, ≥ 1
 * @param learningRate  Adam step size (β = 0.9, 0.999; ε = 1e-8)
 * @param seed          seeds the initial weights and the per-epoch shuffles
 * @param trainingLimit use only the first this-many training images (0 = all); for quick runs
 * @param augmentation  random changes to each training batch ({@link Augmentation#NONE} for none)
 */
public record JudgeConfig(List<Integer> stageWidths, int featureWidth, double slope, int epochs, int batchSize,
                          double learningRate, long seed, int trainingLimit, Augmentation augmentation) {

    public JudgeConfig {
        stageWidths = List.copyOf(stageWidths);
        for (int w : stageWidths) {
            if (w <= 0) throw new IllegalArgumentException("judge stage widths must be positive, got " + stageWidths);
        }
        if (featureWidth <= 0) throw new IllegalArgumentException("featureWidth must be positive, got " + featureWidth);
        if (!(slope >= 0 && slope < 1)) throw new IllegalArgumentException("slope must be in [0,1), got " + slope);
        if (epochs <= 0) throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
        if (batchSize <= 0) throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        if (!(learningRate > 0)) throw new IllegalArgumentException("learningRate must be > 0, got " + learningRate);
        if (trainingLimit < 0) throw new IllegalArgumentException("trainingLimit must be >= 0 (0 = all), got " + trainingLimit);
        if (augmentation == null) throw new IllegalArgumentException("augmentation must not be null (use Augmentation.NONE)");
    }

    /**
     * Automatic stages, 128 features, slope 0.01, 1 epoch, batch 128, Adam 1e-3 (decayed on a cosine to 0 over the
     * run), seed 1, all training images, no augmentation.
     */
    public static JudgeConfig defaults() {
        return new JudgeConfig(List.of(), 128, 0.01, 1, 128, 1e-3, 1L, 0, Augmentation.NONE);
    }

    /**
     * The MNIST judge: {@link #defaults()} with photometric augmentation (blur, contrast, brightness, noise) and
     * shifts of up to 2 pixels, no flips (digits are not symmetric), 5 epochs of the 60,000 training images.
     */
    public static JudgeConfig mnist() {
        return defaults().withEpochs(5).withAugmentation(Augmentation.photometric(2, false));
    }

    /**
     * The CIFAR-10 judge: stages 64-128-256, 256 features, 22 epochs of batch 64, shifts of up to 3 pixels and left-right
     * flips (a 10,000-image training set overfits within a few epochs without them), and the photometric changes at a
     * quarter of the images each (blur and noise erase more of a 32×32 photograph than of a digit).
     */
    public static JudgeConfig cifar10() {
        return defaults().withStageWidths(List.of(64, 128, 256)).withFeatureWidth(256).withEpochs(22).withBatchSize(64)
                .withAugmentation(new Augmentation(3, true, 0.25, 0.3, 2.0, 0.3, 0.1, 0.25, 0.05));
    }

    /**
     * The CelebA attribute judge (64×64 faces, 40 attributes): stages 16-32-64-128 (64×64 → 4×4), 256 features,
     * photometric augmentation, shifts of up to 3 pixels and flips, 10 epochs of batch 64.
     */
    public static JudgeConfig celeba() {
        return defaults().withStageWidths(List.of(16, 32, 64, 128)).withFeatureWidth(256).withEpochs(10).withBatchSize(64)
                .withAugmentation(Augmentation.photometric(3, true));
    }

    /**
     * The stages used when {@link #stageWidths} is empty: 32 and 64 (28×28 → 7×7), plus 128 when the smaller image side
     * is at least 32 (32×32 → 4×4), so the flattened features stay a few thousand wide.
     */
    public static List<Integer> automaticStages(int height, int width) {
        return Math.min(height, width) >= 32 ? List.of(32, 64, 128) : List.of(32, 64);
    }

    public JudgeConfig withStageWidths(List<Integer> widths) {
        return new JudgeConfig(widths, featureWidth, slope, epochs, batchSize, learningRate, seed, trainingLimit, augmentation);
    }

    public JudgeConfig withFeatureWidth(int width) {
        return new JudgeConfig(stageWidths, width, slope, epochs, batchSize, learningRate, seed, trainingLimit, augmentation);
    }

    public JudgeConfig withEpochs(int n) {
        return new JudgeConfig(stageWidths, featureWidth, slope, n, batchSize, learningRate, seed, trainingLimit, augmentation);
    }

    public JudgeConfig withBatchSize(int n) {
        return new JudgeConfig(stageWidths, featureWidth, slope, epochs, n, learningRate, seed, trainingLimit, augmentation);
    }

    public JudgeConfig withLearningRate(double lr) {
        return new JudgeConfig(stageWidths, featureWidth, slope, epochs, batchSize, lr, seed, trainingLimit, augmentation);
    }

    public JudgeConfig withSeed(long s) {
        return new JudgeConfig(stageWidths, featureWidth, slope, epochs, batchSize, learningRate, s, trainingLimit, augmentation);
    }

    public JudgeConfig withTrainingLimit(int n) {
        return new JudgeConfig(stageWidths, featureWidth, slope, epochs, batchSize, learningRate, seed, n, augmentation);
    }

    public JudgeConfig withAugmentation(Augmentation a) {
        return new JudgeConfig(stageWidths, featureWidth, slope, epochs, batchSize, learningRate, seed, trainingLimit, a);
    }

    /** A stable one-line description of the training settings (part of the cache key; locale-independent). */
    public String trainingDescription() {
        return String.format(Locale.ROOT, "epochs=%d batch=%d adam(lr=%s cosine,0.9,0.999,1e-8) seed=%d limit=%d augmentation=%s",
                epochs, batchSize, Double.toString(learningRate), seed, trainingLimit, augmentation.description());
    }
}
