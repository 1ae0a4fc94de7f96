package featurealign.align;

import featurealign.nn.LayerSpec;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Settings of the feature-alignment reverse map (docs/method.md §2, §4). The defaults are the reference code's: one step
 * (T = 1) of size η = 1 from r0 = 0, the latent probe μ + σ without noise, and a sigmoid squash.
 *
 * @param steps       T ≥ 1, the number of gradient steps on r
 * @param stepSize    η, the size of each step
 * @param initialProbe where r starts
 * @param randomScale standard deviation of r0 when {@link InitialProbe#RANDOM}
 * @param latentProbe how the probe's latent is read from the heads
 * @param squash      the map from r_T to the image
 * @param conditioningWeight λ, the weight of the conditioning term in the inner cost
 *                    {@code C(r) = ½‖z − z_r‖² + λ·½‖y − c(H(r))‖²} (the reference: 1). Larger λ makes the label's
 *                    template a larger part of every aligned image, so class identity can come from the label instead
 *                    of the latent (a named departure)
 */
public record AlignmentOptions(int steps, double stepSize, InitialProbe initialProbe, double randomScale,
                               LatentProbe latentProbe, Squash squash, double conditioningWeight) {

    public AlignmentOptions {
        if (steps < 1) throw new IllegalArgumentException("alignment steps T must be >= 1, got " + steps);
        if (!(stepSize > 0) || Double.isInfinite(stepSize)) {
            throw new IllegalArgumentException("alignment step size must be positive and finite, got " + stepSize);
        }
        if (!(randomScale >= 0)) throw new IllegalArgumentException("random r0 scale must be >= 0, got " + randomScale);
        if (!(conditioningWeight >= 0) || Double.isInfinite(conditioningWeight)) {
            throw new IllegalArgumentException("alignment conditioning weight must be >= 0 and finite, got " + conditioningWeight);
        }
        if (initialProbe == null || latentProbe == null || squash == null) {
            throw new IllegalArgumentException("alignment options must not be null");
        }
    }

    /** The reference: T = 1, η = 1, r0 = 0, probe μ + σ, sigmoid, conditioning weight 1. */
    public static AlignmentOptions reference() {
        return new AlignmentOptions(1, 1.0, InitialProbe.ZERO, 0.0, LatentProbe.MEAN_PLUS_STD, Squash.SIGMOID, 1.0);
    }

    public AlignmentOptions withSteps(int t) { return new AlignmentOptions(t, stepSize, initialProbe, randomScale, latentProbe, squash, conditioningWeight); }

    public AlignmentOptions withStepSize(double eta) { return new AlignmentOptions(steps, eta, initialProbe, randomScale, latentProbe, squash, conditioningWeight); }

    public AlignmentOptions withInitialProbe(InitialProbe p, double scale) { return new AlignmentOptions(steps, stepSize, p, scale, latentProbe, squash, conditioningWeight); }

    public AlignmentOptions withLatentProbe(LatentProbe p) { return new AlignmentOptions(steps, stepSize, initialProbe, randomScale, p, squash, conditioningWeight); }

    public AlignmentOptions withSquash(Squash s) { return new AlignmentOptions(steps, stepSize, initialProbe, randomScale, latentProbe, s, conditioningWeight); }

    public AlignmentOptions withConditioningWeight(double lambda) {
        return new AlignmentOptions(steps, stepSize, initialProbe, randomScale, latentProbe, squash, lambda);
    }

    /** Where the probe r starts. */
    public enum InitialProbe {
        /** r0 = 0, as the reference code (the same for every sample, so its forward pass is computed once). */
        ZERO,
        /** r0 ~ N(0, randomScale²), as the paper's text describes ("a random input"); drawn by the caller. */
        RANDOM,
        /** r0 given by the caller. */
        GIVEN
    }

    /** How the probe's latent z_r is read from the encoder heads. */
    public enum LatentProbe {
        /** z_r = μ(h_r) + exp(½ℓ(h_r)): the reference adds one standard deviation, with no noise. */
        MEAN_PLUS_STD,
        /** z_r = μ(h_r). */
        MEAN
    }

    /** The map from r_T to the output image. */
    public enum Squash {
        /** sigmoid: the reference FA-VAE, output in (0,1). */
        SIGMOID,
        /** tanh: the reference local reconstruction. */
        TANH,
        /** identity. */
        NONE;

        /** The squash as a parameter-free layer, or null for {@link #NONE}. */
        public LayerSpec layer() {
            return switch (this) {
                case SIGMOID -> new LayerSpec.Sigmoid();
                case TANH -> new LayerSpec.Tanh();
                case NONE -> null;
            };
        }

        /**
         * An approximate r with {@code squash(r) ≈ image} (a new array): logit or atanh of the image clamped {@code margin}
         * inside the squash's open range, so saturated pixels give a large finite r rather than ±∞. Only for images whose
         * probe is not at hand: it is not bit-exact, and it cannot tell the probes of saturated pixels apart.
         */
        public INDArray invert(INDArray image, double margin) {
            return switch (this) {
                case SIGMOID -> {
                    INDArray x = Transforms.max(Transforms.min(image, 1 - margin, true), margin, false);
                    INDArray logOneMinus = Transforms.log(x.rsub(1.0), false);
                    yield Transforms.log(x, false).subi(logOneMinus);
                }
                case TANH -> Transforms.atanh(Transforms.max(Transforms.min(image, 1 - margin, true), margin - 1, false), false);
                case NONE -> image.dup();
            };
        }
    }
}
