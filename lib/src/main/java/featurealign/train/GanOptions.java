package featurealign.train;

import featurealign.nn.Generator.Refiner;

/**
 * Settings of the GAN phase that depart from the reference (docs/method.md §5, §14; issue 18). {@link #reference()} is the
 * reference exactly; the run keys are {@code gan.<component>}.
 *
 * @param refiner                   REFERENCE (the reference's G(x̂, y)) or RESIDUAL (squash(r̃ + δ(r̃, y)), the identity
 *                                  at step 0)
 * @param anchorWeight              weight of the anchor term on refined reconstructions of the real batch (0 = none, the
 *                                  reference)
 * @param anchor                    the anchor's distance to the real image, a sum over batch and pixels:
 *                                  L1 Σ|G − x|, L2 ½Σ(G − x)²
 * @param priorSamples              whether G is also trained, adversarially only, on feature-alignment samples of the
 *                                  prior (what it refines at sampling time); the reference trains it on reconstructions
 *                                  only
 * @param generatorLearningRate     Adam rate of G; NaN uses the run's {@code learningRate} (the reference)
 * @param discriminatorLearningRate Adam rate of D; NaN uses the run's {@code learningRate} (the reference)
 * @param discriminatorWarmup       GAN iterations that train D alone before G's first step (the reference: 0)
 * @param ema                       decay d of an exponential moving average of G's weights, ema ← d·ema + (1−d)·θ after
 *                                  every G step, which refinement then uses; 0 = off (the reference)
 * @param prior                     where the GAN phase draws its prior latents (G's prior samples and D's fakes):
 *                                  STANDARD z ~ N(0, I) (the reference) or CLASS_GAUSSIAN, the class Gaussians fitted to
 *                                  the encoder at the GAN phase's first step, so G and D see what sampling will refine
 * @param priorAnchorWeight         weight of a term {@code gan.anchor}-distance between G's refined prior samples and the
 *                                  feature-alignment samples they refine (needs {@code priorSamples}; 0 = none, the
 *                                  reference): G is to edit a sample, not repaint it
 */
public record GanOptions(Refiner refiner, double anchorWeight, Anchor anchor, boolean priorSamples,
                         double generatorLearningRate, double discriminatorLearningRate, int discriminatorWarmup,
                         double ema, RunConfig.SamplingPrior prior, double priorAnchorWeight) {

    /** The distance of the anchor term. */
    public enum Anchor { L1, L2 }

    public GanOptions {
        if (refiner == null) throw new IllegalArgumentException("run config: gan.refiner is missing, expected REFERENCE or RESIDUAL");
        if (anchor == null) throw new IllegalArgumentException("run config: gan.anchor is missing, expected L1 or L2");
        require(anchorWeight >= 0 && Double.isFinite(anchorWeight), "gan.anchorWeight", anchorWeight, ">= 0 and finite");
        require(Double.isNaN(generatorLearningRate) || (generatorLearningRate > 0 && Double.isFinite(generatorLearningRate)),
                "gan.generatorLearningRate", generatorLearningRate, "NaN (the run's learningRate) or > 0");
        require(Double.isNaN(discriminatorLearningRate)
                        || (discriminatorLearningRate > 0 && Double.isFinite(discriminatorLearningRate)),
                "gan.discriminatorLearningRate", discriminatorLearningRate, "NaN (the run's learningRate) or > 0");
        require(discriminatorWarmup >= 0, "gan.discriminatorWarmup", discriminatorWarmup, ">= 0");
        require(ema >= 0 && ema < 1, "gan.ema", ema, "in [0,1) (0 = off)");
        if (prior == null) throw new IllegalArgumentException("run config: gan.prior is missing, expected STANDARD or CLASS_GAUSSIAN");
        require(priorAnchorWeight >= 0 && Double.isFinite(priorAnchorWeight), "gan.priorAnchorWeight", priorAnchorWeight,
                ">= 0 and finite");
        require(priorAnchorWeight == 0 || priorSamples, "gan.priorAnchorWeight", priorAnchorWeight,
                "0 unless gan.priorSamples = true (it anchors G's prior samples)");
    }

    private static void require(boolean ok, String key, Object value, String expected) {
        if (!ok) throw new IllegalArgumentException("run config: " + key + " = " + value + ", expected " + expected);
    }

    /**
     * The reference's GAN phase: reference G, no anchor, reconstructions only, the run's rate, no warm-up, no EMA,
     * latents from N(0, I), no prior anchor.
     */
    public static GanOptions reference() {
        return new GanOptions(Refiner.REFERENCE, 0.0, Anchor.L1, false, Double.NaN, Double.NaN, 0, 0.0,
                RunConfig.SamplingPrior.STANDARD, 0.0);
    }

    /** G's Adam rate given the run's {@code learningRate}. */
    public double generatorRate(double learningRate) {
        return Double.isNaN(generatorLearningRate) ? learningRate : generatorLearningRate;
    }

    /** D's Adam rate given the run's {@code learningRate}. */
    public double discriminatorRate(double learningRate) {
        return Double.isNaN(discriminatorLearningRate) ? learningRate : discriminatorLearningRate;
    }
}
