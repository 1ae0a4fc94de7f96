package featurealign.align;

import featurealign.GradientCheck;

import featurealign.align.AlignmentOptions.InitialProbe;
import featurealign.nn.Encoder;
import featurealign.nn.LayerSpec.*;
import featurealign.nn.NetworkSpec;
import featurealign.nn.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The FA-VAE loss's parameter gradients (SameDiff first-order autodiff through the hand-built inner gradient) equal
 * central finite differences in float64, on a small encoder whose trunk uses every transposable layer type.
 */
class FaVaeGradientTest {

    static final int BATCH = 3, LATENT = 3, CONDITIONING = 4;

    /** A trunk with 3×3 stride-1 and stride-2 convs, a 9×9 conv, leaky ReLU, asinh, tanh, sigmoid, flatten, reshape, dense. */
    static NetworkSpec everyLayerTrunk() {
        return new NetworkSpec("encoder", Shape.image(1, 8, 8), List.of(
                new Conv2d(1, 2, 3, 1, 1), new LeakyRelu(0.01),
                new Conv2d(2, 3, 3, 2, 1), new Asinh(),
                new Conv2d(3, 2, 9, 1, 4), new Tanh(),
                new Flatten(), new Dense(32, 12), new Reshape(Shape.image(3, 2, 2)), new Sigmoid(),
                new Flatten(), new Dense(12, 6), new LeakyRelu(0.01)));
    }

    /** One built graph: the loss, its placeholders' values and the parameters. */
    record Case(SameDiff sd, Encoder encoder, FaVaeObjective objective, Map<String, INDArray> feed) {
        double loss() { return sd.output(feed, objective.loss().name()).get(objective.loss().name()).getDouble(0); }

        Map<String, INDArray> gradients() {
            return sd.calculateGradients(feed, encoder.parameters().stream().map(SDVariable::name).toList());
        }
    }

    static Case build(int steps, double eta, InitialProbe probe, long seed) {
        return build(steps, eta, probe, seed, 1.0);
    }

    /** @param conditioningWeight λ of the inner cost's conditioning term */
    static Case build(int steps, double eta, InitialProbe probe, long seed, double conditioningWeight) {
        SameDiff sd = SameDiff.create();
        NetworkSpec trunk = everyLayerTrunk();
        Encoder enc = Encoder.declare(sd, trunk, LATENT, CONDITIONING, DataType.DOUBLE);
        enc.initialize(seed);
        // Make the weights larger than orthogonal init so every path carries a visible gradient.
        for (SDVariable v : enc.parameters()) v.getArr().muli(1.3);
        Shape img = trunk.input();
        SDVariable x = sd.placeHolder("x", DataType.DOUBLE, img.withBatch(-1));
        SDVariable y = sd.placeHolder("y", DataType.DOUBLE, -1, CONDITIONING);
        SDVariable eps = sd.placeHolder("eps", DataType.DOUBLE, -1, LATENT);
        SDVariable beta = sd.placeHolder("beta", DataType.DOUBLE, -1);
        SDVariable r0 = probe == InitialProbe.ZERO ? null : sd.placeHolder("r0", DataType.DOUBLE, img.withBatch(-1));
        AlignmentOptions opts = AlignmentOptions.reference().withSteps(steps).withStepSize(eta).withInitialProbe(probe, 0.1)
                .withConditioningWeight(conditioningWeight);
        FaVaeObjective obj = FaVaeObjective.build(enc, x, y, eps, beta, r0, opts);
        sd.setLossVariables(obj.loss().name());

        Nd4j.getRandom().setSeed(seed);
        Map<String, INDArray> feed = new HashMap<>();
        feed.put("x", Nd4j.rand(DataType.DOUBLE, img.withBatch(BATCH)).muli(0.98).addi(0.01));
        INDArray yv = Nd4j.zeros(DataType.DOUBLE, BATCH, CONDITIONING);
        for (int i = 0; i < BATCH; i++) yv.putScalar(i, (i * 3) % CONDITIONING, 1.0);
        feed.put("y", yv);
        feed.put("eps", Nd4j.randn(DataType.DOUBLE, BATCH, LATENT));
        feed.put("beta", Nd4j.rand(DataType.DOUBLE, BATCH));
        if (r0 != null) {
            feed.put("r0", probe == InitialProbe.GIVEN ? Nd4j.zeros(DataType.DOUBLE, img.withBatch(BATCH))
                    : Nd4j.randn(DataType.DOUBLE, img.withBatch(BATCH)).muli(0.1));
        }
        return new Case(sd, enc, obj, feed);
    }

    @ParameterizedTest(name = "T={0}, eta={1}, r0={2}, lambda={3}")
    @CsvSource({"1, 1.0, ZERO, 1.0", "2, 1.0, ZERO, 1.0", "1, 1.0, RANDOM, 1.0", "2, 0.5, RANDOM, 1.0",
            "1, 1.0, ZERO, 4.0", "2, 1.0, RANDOM, 0.25"})
    void gradientsMatchCentralFiniteDifferences(int steps, double eta, InitialProbe probe, double lambda) {
        Case c = build(steps, eta, probe, 7, lambda);
        Map<String, INDArray> grads = c.gradients();
        // One directional derivative per parameter tensor: (L(θ + h·d) − L(θ − h·d)) / 2h against ⟨∇L, d⟩, for a
        // random direction d over all entries of that tensor, plus one single entry per tensor.
        Nd4j.getRandom().setSeed(3);
        GradientCheck check = new GradientCheck(1e-6, new Random(3), loss -> 1e-4);
        for (SDVariable v : c.encoder().parameters()) {
            INDArray g = grads.get(v.name());
            assertNotNull(g, "no gradient for " + v.name());
            check.check(v.name(), v.getArr(), g, c::loss);
        }
        double overall = check.overall(), worst = check.worst();
        String worstAt = check.worstAt();
        System.out.printf("FA-VAE gradient vs central FD (T=%d, eta=%.1f, r0=%s, lambda=%.2f): %d tensors, relative error"
                + " %.2e, worst %.2e at %s%n", steps, eta, probe, lambda, grads.size(), overall, worst, worstAt);
        assertTrue(overall < 1e-6, "overall relative error " + overall);
        assertTrue(worst < 1e-4, "worst " + worst + " at " + worstAt);
    }

    /** One step from r0 = 0: r_1 = −J_zᵀ(z_r − z) − λ·J_cᵀ(c_r − y), so the probe is affine in λ. */
    @Test
    void theConditioningWeightScalesTheLabelsPartOfTheStep() {
        double[][] probes = new double[3][];
        double[] lambdas = {0.0, 1.0, 2.5};
        for (int i = 0; i < 3; i++) {
            Case c = build(1, 1.0, InitialProbe.ZERO, 11, lambdas[i]);
            String name = c.objective().alignment().probe().name();
            probes[i] = c.sd().output(c.feed(), name).get(name).dup().data().asDouble();
        }
        double labelPart = 0;
        for (int k = 0; k < probes[0].length; k++) {
            double perUnit = probes[1][k] - probes[0][k];
            labelPart = Math.max(labelPart, Math.abs(perUnit));
            assertEquals(probes[0][k] + 2.5 * perUnit, probes[2][k], 1e-12, "entry " + k);
        }
        assertTrue(labelPart > 1e-3, "the label moves the probe: " + labelPart);
    }

    /** The r0 = 0 shortcut (probe forward once at batch 1, masks broadcast) equals the general path with r0 = zeros. */
    @ParameterizedTest(name = "T={0}")
    @CsvSource({"1", "2"})
    void sharedZeroProbeEqualsTheGeneralPath(int steps) {
        Case shortcut = build(steps, 1.0, InitialProbe.ZERO, 9);
        Case general = build(steps, 1.0, InitialProbe.GIVEN, 9);
        assertEquals(general.loss(), shortcut.loss(), 1e-12 * Math.abs(general.loss()));
        Map<String, INDArray> a = shortcut.gradients(), b = general.gradients();
        for (String name : b.keySet()) {
            double rel = a.get(name).sub(b.get(name)).norm2Number().doubleValue()
                    / Math.max(b.get(name).norm2Number().doubleValue(), 1e-300);
            assertTrue(rel < 1e-12, name + ": relative difference " + rel);
        }
    }

    @Test
    void badArgumentsAreNamedBeforeAnyNativeCall() {
        SameDiff sd = SameDiff.create();
        Encoder enc = Encoder.declare(sd, everyLayerTrunk(), LATENT, CONDITIONING, DataType.DOUBLE);
        SDVariable z = sd.placeHolder("z", DataType.DOUBLE, -1, LATENT);
        SDVariable wrongZ = sd.placeHolder("wz", DataType.DOUBLE, -1, LATENT + 1);
        SDVariable y = sd.placeHolder("y", DataType.DOUBLE, -1, CONDITIONING);
        SDVariable wrongY = sd.placeHolder("wy", DataType.DOUBLE, -1, 10);
        SDVariable wrongR0 = sd.placeHolder("wr", DataType.DOUBLE, -1, 3, 8, 8);
        AlignmentOptions ref = AlignmentOptions.reference();
        assertMessage(() -> FeatureAlignment.reverse(enc, wrongZ, y, null, ref), "latent target z", "[batch,3]");
        assertMessage(() -> FeatureAlignment.reverse(enc, z, wrongY, null, ref), "conditioning target", "[batch,4]");
        assertMessage(() -> FeatureAlignment.reverse(enc, z, null, null, ref), "conditioning target [batch,4] is required");
        assertMessage(() -> FeatureAlignment.reverse(enc, z, y, wrongR0, ref.withInitialProbe(InitialProbe.GIVEN, 0)),
                "r0", "[batch,1,8,8]");
        assertMessage(() -> FeatureAlignment.reverse(enc, z, y, null, ref.withInitialProbe(InitialProbe.RANDOM, 1)),
                "needs an r0");
        assertMessage(() -> ref.withSteps(0), "steps T must be >= 1");
        assertMessage(() -> ref.withStepSize(Double.NaN), "step size");
    }

    static void assertMessage(org.junit.jupiter.api.function.Executable call, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String p : parts) assertTrue(e.getMessage().contains(p), "message '" + e.getMessage() + "' lacks '" + p + "'");
    }
}
