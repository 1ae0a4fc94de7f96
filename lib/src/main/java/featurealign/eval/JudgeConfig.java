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
 */
public record JudgeConfig(List<Integer> stageWidths, int featureWidth, double slope, int epochs, int batchSize,
                          double learningRate, long seed, int trainingLimit) {

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
    }

    /** Automatic stages, 128 features, slope 0.01, 1 epoch, batch 128, Adam 1e-3, seed 1, all training images. */
    public static JudgeConfig defaults() {
        return new JudgeConfig(List.of(), 128, 0.01, 1, 128, 1e-3, 1L, 0);
    }

    /** MNIST (60,000 training images): {@link #defaults()}, one epoch (≈98.5 % test accuracy). */
    public static JudgeConfig mnist() {
        return defaults();
    }

    /**
     * CIFAR-10 as shipped in the shared folder (10,000 training images): {@link #defaults()} with 8 epochs; more
     * epochs overfit such a small set.
     */
    public static JudgeConfig cifar10() {
        return defaults().withEpochs(8);
    }

    /**
     * The stages used when {@link #stageWidths} is empty: 32 and 64 (28×28 → 7×7), plus 128 when the smaller image side
     * is at least 32 (32×32 → 4×4), so the flattened features stay a few thousand wide.
     */
    public static List<Integer> automaticStages(int height, int width) {
        return Math.min(height, width) >= 32 ? List.of(32, 64, 128) : List.of(32, 64);
    }

    public JudgeConfig withStageWidths(List<Integer> widths) {
        return new JudgeConfig(widths, featureWidth, slope, epochs, batchSize, learningRate, seed, trainingLimit);
    }

    public JudgeConfig withFeatureWidth(int width) {
        return new JudgeConfig(stageWidths, width, slope, epochs, batchSize, learningRate, seed, trainingLimit);
    }

    public JudgeConfig withEpochs(int n) {
        return new JudgeConfig(stageWidths, featureWidth, slope, n, batchSize, learningRate, seed, trainingLimit);
    }

    public JudgeConfig withBatchSize(int n) {
        return new JudgeConfig(stageWidths, featureWidth, slope, epochs, n, learningRate, seed, trainingLimit);
    }

    public JudgeConfig withLearningRate(double lr) {
        return new JudgeConfig(stageWidths, featureWidth, slope, epochs, batchSize, lr, seed, trainingLimit);
    }

    public JudgeConfig withSeed(long s) {
        return new JudgeConfig(stageWidths, featureWidth, slope, epochs, batchSize, learningRate, s, trainingLimit);
    }

    public JudgeConfig withTrainingLimit(int n) {
        return new JudgeConfig(stageWidths, featureWidth, slope, epochs, batchSize, learningRate, seed, n);
    }

    /** A stable one-line description of the training settings (part of the cache key; locale-independent). */
    public String trainingDescription() {
        return String.format(Locale.ROOT, "epochs=%d batch=%d adam(lr=%s,0.9,0.999,1e-8) seed=%d limit=%d",
                epochs, batchSize, Double.toString(learningRate), seed, trainingLimit);
    }
}
