package featurealign.align;

import featurealign.nn.Encoder;
import featurealign.nn.Shape;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The feature-alignment reverse map (docs/method.md §2, §4.5): starting from a probe r0, take T gradient steps
 * {@code r ← r − η ∇_r C(r)} on the inner cost
 * {@code C(r) = ½‖z − z_r‖² + λ·½‖y − c(H(r))‖²} (λ = 1 in the reference), where z_r is read from the probe's heads,
 * then squash.
 * <p>
 * The inner gradient ∇_r C is built from differentiable ops on the encoder's own variables (each layer's transpose),
 * so the loss on the result can be differentiated by SameDiff's first-order autodiff, which then equals PyTorch's
 * {@code create_graph=True} double backprop.
 */
public final class FeatureAlignment {
    private FeatureAlignment() {}

    /** The probe after T steps (before the squash) and the squashed image, both {@code [batch,C,H,W]}. */
    public record Result(SDVariable probe, SDVariable image) {}

    /**
     * Builds the reverse map toward latent {@code zTarget} and conditioning {@code conditionTarget}.
     *
     * @param encoder         the encoder whose heads define the inner cost
     * @param zTarget         {@code [batch,Z]} latent target
     * @param conditionTarget {@code [batch,K]} conditioning target (one-hot labels, attributes), or null exactly when the
     *                        encoder is unconditioned
     * @param r0              {@code [batch,C,H,W]} initial probe for {@link AlignmentOptions.InitialProbe#RANDOM} and
     *                        {@code GIVEN}; must be null for {@code ZERO}
     * @param options         T, η, the probe and the squash
     */
    public static Result reverse(Encoder encoder, SDVariable zTarget, SDVariable conditionTarget, SDVariable r0,
                                 AlignmentOptions options) {
        SameDiff sd = zTarget.getSameDiff();
        Shape image = encoder.image();
        requireLastDim(zTarget, encoder.latent(), "latent target z");
        if (encoder.conditioningHead() == null && conditionTarget != null) {
            throw new IllegalArgumentException("conditioning target given, but the encoder is unconditioned"
                    + " (conditioning = 0)");
        }
        if (encoder.conditioningHead() != null) {
            if (conditionTarget == null) {
                throw new IllegalArgumentException("the encoder is conditioned on " + encoder.conditioningSize()
                        + " values: a conditioning target [batch," + encoder.conditioningSize() + "] is required");
            }
            requireLastDim(conditionTarget, encoder.conditioningSize(), "conditioning target");
        }
        boolean zeroStart = options.initialProbe() == AlignmentOptions.InitialProbe.ZERO;
        if (zeroStart && r0 != null) throw new IllegalArgumentException("r0 given, but the initial probe is ZERO");
        if (!zeroStart && r0 == null) {
            throw new IllegalArgumentException("initial probe " + options.initialProbe() + " needs an r0 of shape [batch,"
                    + join(image) + "]");
        }
        if (r0 != null) requireImage(r0, image, "r0");

        // With r0 = 0 every sample's probe is the same, so its forward pass runs once at batch 1; the transposes
        // broadcast its masks over the batch (exact: see FeatureAlignmentTest).
        SDVariable r = zeroStart ? sd.constant(Nd4j.zeros(encoder.trunk().dataType(), image.withBatch(1))) : r0;
        for (int t = 0; t < options.steps(); t++) {
            SDVariable grad = innerGradient(encoder, r, zTarget, conditionTarget, options.latentProbe(),
                    options.conditioningWeight());
            SDVariable step = grad.mul(options.stepSize());
            r = (t == 0 && zeroStart) ? step.neg() : r.sub(step);
        }
        SDVariable squashed = switch (options.squash()) {
            case SIGMOID -> sd.nn().sigmoid(r);
            case TANH -> sd.math().tanh(r);
            case NONE -> r;
        };
        return new Result(r, squashed);
    }

    /** ∇_r C(r) as graph ops: the heads' and trunk's transposes applied to the inner cost's output gradients. */
    static SDVariable innerGradient(Encoder encoder, SDVariable r, SDVariable z, SDVariable y,
                                    AlignmentOptions.LatentProbe probe, double conditioningWeight) {
        Encoder.Pass p = encoder.forward(r);
        SDVariable zr = p.mu();
        SDVariable std = null;
        if (probe == AlignmentOptions.LatentProbe.MEAN_PLUS_STD) {
            std = r.getSameDiff().math().exp(p.logVariance().mul(0.5));
            zr = zr.add(std);
        }
        SDVariable dz = zr.sub(z); // ∂C/∂z_r
        SDVariable dh = encoder.meanHead().transpose(p.mean(), dz);
        if (std != null) {
            // ∂(exp(½ℓ))/∂ℓ = ½ exp(½ℓ)
            dh = dh.add(encoder.logVarianceHead().transpose(p.logVar(), dz.mul(std).mul(0.5)));
        }
        if (y != null) {
            SDVariable dc = p.label().sub(y); // ∂C/∂c_r, times λ when it is not the reference's 1
            if (conditioningWeight != 1.0) dc = dc.mul(conditioningWeight);
            dh = dh.add(encoder.conditioningHead().transpose(p.conditioning(), dc));
        }
        return encoder.trunk().transpose(p.trunk(), dh);
    }

    private static void requireLastDim(SDVariable v, int expected, String what) {
        long[] s = v.getShape();
        if (s != null && (s.length != 2 || (s[1] >= 0 && s[1] != expected))) {
            throw new IllegalArgumentException(what + ": expected shape [batch," + expected + "], got "
                    + java.util.Arrays.toString(s));
        }
    }

    private static void requireImage(SDVariable v, Shape image, String what) {
        long[] s = v.getShape();
        if (s == null) return;
        boolean ok = s.length == 4;
        for (int i = 0; ok && i < 3; i++) ok = s[i + 1] < 0 || s[i + 1] == image.dim(i);
        if (!ok) {
            throw new IllegalArgumentException(what + ": expected shape [batch," + join(image) + "], got "
                    + java.util.Arrays.toString(s));
        }
    }

    private static String join(Shape s) {
        String t = s.toString();
        return t.substring(1, t.length() - 1);
    }
}
