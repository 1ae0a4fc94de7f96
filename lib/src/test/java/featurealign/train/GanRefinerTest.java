package featurealign.train;

import featurealign.GradientCheck;
import featurealign.align.AlignmentOptions;
import featurealign.data.ImageSet;
import featurealign.nn.Generator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.file.Path;
import java.util.*;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The GAN phase's departures of issue 18 (docs/method.md §14): the residual refiner is the identity at step 0, the
 * weights' moving average follows its formula, the anchor's gradient matches finite differences, D's warm-up keeps G
 * still, and a run with all of them resumes exactly from a checkpoint.
 */
class GanRefinerTest {

    /** The tiny paper-profile model of {@link PaperGanPinTest} in float64 with {@code key=value} overrides. */
    static RunConfig tiny(String... overrides) {
        RunConfig c = PaperGanPinTest.tinyPaper("DOUBLE", 0.0);
        for (int i = 0; i < overrides.length; i += 2) c = c.with(overrides[i], overrides[i + 1]);
        return c;
    }

    static double[] bits(INDArray a) { return a.dup().data().asDouble(); }

    @ParameterizedTest(name = "{0}, squash {1}")
    @CsvSource({"DOUBLE, SIGMOID", "FLOAT, SIGMOID", "DOUBLE, TANH"})
    void theResidualRefinerIsTheIdentityAtStepZero(String dataType, String squash) {
        RunConfig cfg = PaperGanPinTest.tinyPaper(dataType, 0.0).with("gan.refiner", "RESIDUAL")
                .with("alignment.squash", squash);
        FaModel m = new FaModel(cfg);
        Noise noise = new Noise(5);
        INDArray y = TinyRuns.squares(6, 3).labelsOneHot(new int[]{0, 1, 2, 3, 4, 5}, 10, cfg.dataType());
        // Latents of a few scales, so that some pixels saturate the squash.
        FaModel.Aligned fa = m.alignWithProbe(noise.gaussian(cfg.dataType(), 6, 4).muli(20), y, noise);
        assertArrayEquals(bits(fa.image()), bits(m.refine(fa, y)), 0.0, "G(r̃) = squash(r̃ + 0) = x̃, bit for bit");
        // The reference generator is not: a randomly initialised image-to-image network must first learn the identity.
        FaModel ref = new FaModel(PaperGanPinTest.tinyPaper(dataType, 0.0).with("alignment.squash", squash));
        assertTrue(ref.refine(fa, y).sub(fa.image()).amaxNumber().doubleValue() > 1e-3);
    }

    @Test
    void theResidualRefinerLeavesTheIdentityOnceTrained() {
        FaModel m = new FaModel(tiny("gan.refiner", "RESIDUAL", "gan.anchorWeight", "1"));
        ImageSet data = TinyRuns.squares(8, 2);
        Noise noise = new Noise(1);
        for (int s = 0; s < 2; s++) {
            int[] idx = {4 * s, 4 * s + 1, 4 * s + 2, 4 * s + 3};
            m.trainStep(data.toNCHW(idx, DataType.DOUBLE), data.labelsOneHot(idx, 10, DataType.DOUBLE), true, noise, s + 1);
        }
        INDArray y = data.labelsOneHot(new int[]{0, 1, 2}, 10, DataType.DOUBLE);
        FaModel.Aligned fa = m.alignWithProbe(noise.gaussian(DataType.DOUBLE, 3, 4), y, noise);
        assertTrue(m.refine(fa, y).sub(fa.image()).amaxNumber().doubleValue() > 1e-9, "two G steps moved δ off zero");
        // Without the probe, refine(x̃) recovers it by inverting the sigmoid: close, not exact.
        assertTrue(m.refine(fa.image(), y).sub(m.refine(fa, y)).amaxNumber().doubleValue() < 1e-6);
    }

    @Test
    void theMovingAverageFollowsItsFormula() {
        double d = 0.75;
        FaModel m = new FaModel(tiny("gan.ema", Double.toString(d)));
        ImageSet data = TinyRuns.squares(8, 4);
        Noise noise = new Noise(2);
        List<Map<String, INDArray>> theta = new ArrayList<>(List.of(FaTrainingTest.snapshot(m.generatorParameters())));
        for (int s = 0; s < 2; s++) {
            int[] idx = {4 * s, 4 * s + 1, 4 * s + 2, 4 * s + 3};
            m.trainStep(data.toNCHW(idx, DataType.DOUBLE), data.labelsOneHot(idx, 10, DataType.DOUBLE), true, noise, s + 1);
            theta.add(FaTrainingTest.snapshot(m.generatorParameters()));
        }
        assertEquals(theta.get(0).keySet(), m.averagedGeneratorParameters().keySet());
        for (String k : theta.get(0).keySet()) {
            double[] t0 = bits(theta.get(0).get(k)), t1 = bits(theta.get(1).get(k)), t2 = bits(theta.get(2).get(k));
            double[] ema = bits(m.averagedGeneratorParameters().get(k));
            boolean moved = false;
            for (int i = 0; i < ema.length; i++) {
                // ema_0 = θ0; ema_1 = d·θ0 + (1−d)·θ1; ema_2 = d·ema_1 + (1−d)·θ2
                double want = d * (d * t0[i] + (1 - d) * t1[i]) + (1 - d) * t2[i];
                assertEquals(want, ema[i], 1e-15 * Math.max(1, Math.abs(want)), k + "[" + i + "]");
                moved |= t2[i] != t0[i];
            }
            assertTrue(moved || k.contains("gamma") || k.contains("beta"), k + " was not trained: the check would be empty");
        }
        // refine uses the average: a model whose average is overwritten with G's own weights refines differently.
        INDArray y = data.labelsOneHot(new int[]{0, 1}, 10, DataType.DOUBLE);
        INDArray xt = m.sample(2, y, new Noise(3));
        INDArray withAverage = m.refine(xt, y).dup();
        m.averagedGeneratorParameters().forEach((k, v) -> v.assign(m.generatorParameters().get(k)));
        assertTrue(m.refine(xt, y).sub(withAverage).amaxNumber().doubleValue() > 1e-9);
    }

    /** Both anchors: to the real image on reconstructions ("real") and to the FA sample on prior samples ("prior"). */
    @ParameterizedTest(name = "{0} to the {1}")
    @CsvSource({"L1, real", "L2, real", "L1, prior", "L2, prior"})
    void theAnchorsGradientMatchesCentralFiniteDifferences(String anchor, String target) {
        RunConfig cfg = tiny("gan.refiner", "RESIDUAL", "gan.anchorWeight", "1", "gan.anchor", anchor,
                "gan.priorSamples", "true", "gan.priorAnchorWeight", "1");
        Adam unused = new Adam(1e-3, 0.5, 0.999, 1e-8); // the check never updates
        var memory = featurealign.runtime.NativeMemory.withDefaults();
        DiscriminatorStep ds = new DiscriminatorStep(cfg.architecture(), DataType.DOUBLE, 1, unused, memory);
        GeneratorStep gs = new GeneratorStep(cfg.architecture(), DataType.DOUBLE, 1, cfg.ganOptions(),
                AlignmentOptions.Squash.SIGMOID, 0.0, ds.discriminator(), null, unused, memory);
        // Move δ off its zero start, so that every layer's weights reach the loss.
        Random rnd = new Random(7);
        for (INDArray p : gs.parameters().values()) {
            for (long i = 0; i < p.length(); i++) p.putScalar(i, p.getDouble(i) + 0.3 * rnd.nextGaussian());
        }
        int b = 3;
        Nd4j.getRandom().setSeed(11);
        Map<String, INDArray> feed = new HashMap<>();
        feed.put("input", Nd4j.randn(DataType.DOUBLE, b, 1, 8, 8).muli(2));
        INDArray y = Nd4j.zeros(DataType.DOUBLE, b, 10);
        for (int i = 0; i < b; i++) y.putScalar(i, 3 * i, 1.0);
        feed.put("condition", y);
        feed.put("x", Nd4j.rand(DataType.DOUBLE, b, 1, 8, 8).muli(0.98).addi(0.01));
        feed.put("prior_input", Nd4j.randn(DataType.DOUBLE, b, 1, 8, 8).muli(2));
        feed.put("prior_condition", y.dup());
        feed.put("prior_image", Nd4j.rand(DataType.DOUBLE, b, 1, 8, 8));
        String anchorName = target.equals("real") ? gs.anchorName() : gs.priorAnchorName();
        gs.graph().setLossVariables(anchorName);
        Map<String, INDArray> grads = gs.graph().calculateGradients(feed, new ArrayList<>(gs.parameters().keySet()));
        GradientCheck check = new GradientCheck(1e-6, new Random(3), loss -> 1e-4);
        for (var e : gs.parameters().entrySet()) {
            check.check(e.getKey(), e.getValue(), grads.get(e.getKey()),
                    () -> gs.graph().output(feed, anchorName).get(anchorName).getDouble(0));
        }
        System.out.printf("anchor %s to the %s: gradient vs central FD: relative error %.2e, worst %.2e at %s%n", anchor, target,
                check.overall(), check.worst(), check.worstAt());
        assertTrue(check.sumOfSquaredReferences() > 1e-6, "the check saw no gradient");
        assertTrue(check.overall() < 1e-6, "overall relative error " + check.overall());
        // |·| has a kink at G = x (and leaky ReLU one at 0): a single-entry step of h can straddle one, which moves that
        // entry's difference quotient by ~1e-4 relative under L1 (seen: 1.6e-4), while the overall error stays ~1e-8.
        double worstBound = anchor.equals("L1") ? 1e-3 : 1e-4;
        assertTrue(check.worst() < worstBound, "worst " + check.worst() + " at " + check.worstAt());
    }

    @Test
    void theDiscriminatorWarmsUpAloneBeforeGsFirstStep() {
        FaModel m = new FaModel(tiny("gan.discriminatorWarmup", "2", "gan.discriminatorLearningRate", "4e-4",
                "gan.generatorLearningRate", "2e-4"));
        assertEquals(2e-4, m.generatorOptimizer().learningRate());
        assertEquals(4e-4, m.discriminatorOptimizer().learningRate());
        ImageSet data = TinyRuns.squares(4, 6);
        int[] idx = {0, 1, 2, 3};
        INDArray x = data.toNCHW(idx, DataType.DOUBLE), y = data.labelsOneHot(idx, 10, DataType.DOUBLE);
        Noise noise = new Noise(4);
        var g0 = FaTrainingTest.snapshot(m.generatorParameters());
        for (int s = 1; s <= 2; s++) assertTrue(Double.isNaN(m.trainStep(x, y, true, noise, s).generatorLoss()));
        assertTrue(FaTrainingTest.allUnchanged(g0, m.generatorParameters()), "G must not move during D's warm-up");
        assertEquals(4, m.discriminatorOptimizer().step());
        assertFalse(Double.isNaN(m.trainStep(x, y, true, noise, 3).generatorLoss()));
        assertEquals(1, m.generatorOptimizer().step());
    }

    @Test
    void aRunWithEveryDepartureResumesExactly(@TempDir Path dir) throws IOException {
        ImageSet data = TinyRuns.squares(24, 4);
        RunConfig cfg = TinyRuns.tinyConfig(6, 1).with("dataType", "DOUBLE").with("gan.refiner", "RESIDUAL")
                .with("gan.anchorWeight", "0.5").with("gan.anchor", "L2").with("gan.priorSamples", "true")
                .with("gan.discriminatorWarmup", "1").with("gan.generatorLearningRate", "2e-4").with("gan.ema", "0.9")
                .with("gan.prior", "CLASS_GAUSSIAN");
        FaTrainer straight = new FaTrainer(cfg, data);
        straight.train();
        // gan.prior: fitted once, to the encoder as the GAN phase starts (one encoder update per step before it), and
        // kept through the phase (sampling.prior is STANDARD here, so nothing refits it at the end).
        assertEquals(1, straight.model().prior().encoderStep());
        FaTrainer first = new FaTrainer(cfg, data).checkpointTo(dir.resolve("ckpt.zip"));
        first.train(3);
        FaTrainer resumed = FaTrainer.resume(dir.resolve("ckpt.zip"), data);
        resumed.train();
        Map<String, INDArray> a = straight.model().stateArrays(), b = resumed.model().stateArrays();
        assertEquals(a.keySet(), b.keySet());
        assertTrue(a.keySet().stream().anyMatch(k -> k.startsWith(FaModel.AVERAGE_PREFIX)), "the average is saved");
        for (String k : a.keySet()) assertArrayEquals(bits(a.get(k)), bits(b.get(k)), 0.0, k + " (bit for bit)");
        assertEquals(Generator.Refiner.RESIDUAL, resumed.model().config().ganOptions().refiner());
        // The checkpoint at step 3 holds the GAN phase's (by then stale) prior, which the resumed run draws from.
        assertArrayEquals(straight.model().prior().meanArray().ravel().toDoubleVector(),
                resumed.model().prior().meanArray().ravel().toDoubleVector(), 0.0);
    }

    /** gan.prior = CLASS_GAUSSIAN changes the GAN phase's latents only: the encoder-only steps are the same bits. */
    @Test
    void theGanPriorChangesOnlyTheGanPhase() throws IOException {
        ImageSet data = TinyRuns.squares(24, 4);
        RunConfig standard = TinyRuns.tinyConfig(4, 2).with("dataType", "DOUBLE").with("gan.priorSamples", "true");
        FaTrainer a = new FaTrainer(standard, data), b = new FaTrainer(standard.with("gan.prior", "CLASS_GAUSSIAN"), data);
        a.train();
        b.train();
        var ha = a.history().table(); var hb = b.history().table();
        for (int i = 0; i < 2; i++) {
            assertEquals(ha.doubleColumn(History.ENCODER_LOSS).get(i), hb.doubleColumn(History.ENCODER_LOSS).get(i), 0.0,
                    "encoder-only step " + (i + 1));
        }
        assertNull(a.model().prior(), "STANDARD fits no prior");
        assertEquals(2, b.model().prior().encoderStep(), "fitted as the GAN phase starts");
        assertNotEquals(ha.doubleColumn(History.DISCRIMINATOR_FAKE).get(2), hb.doubleColumn(History.DISCRIMINATOR_FAKE).get(2),
                "D's fakes come from the prior");
    }

    @Test
    void thePriorAnchorNeedsPriorSamples() {
        var e = assertThrows(IllegalArgumentException.class, () -> tiny("gan.priorAnchorWeight", "0.1"));
        assertTrue(e.getMessage().contains("gan.priorAnchorWeight") && e.getMessage().contains("gan.priorSamples"), e.getMessage());
    }

    /**
     * A branch from the GAN phase's start with other GAN settings is, to the last bit, the run of those settings from
     * step 0: the encoder phase does not read them.
     */
    @Test
    void aBranchFromTheGanStartIsTheRunFromStepZero(@TempDir Path dir) throws IOException {
        ImageSet data = TinyRuns.squares(24, 4);
        RunConfig base = TinyRuns.tinyConfig(6, 3).with("dataType", "DOUBLE").with("gan.refiner", "RESIDUAL")
                .with("gan.priorSamples", "true").with("gan.prior", "CLASS_GAUSSIAN");
        RunConfig other = base.with("gan.anchorWeight", "0.5").with("gan.priorAnchorWeight", "0.2").with("gan.ema", "0.9")
                .with("gan.generatorLearningRate", "2e-4").with("architecture.generatorWidth", "6");
        FaTrainer straight = new FaTrainer(other, data);
        straight.train();
        Path ckpt = dir.resolve("checkpoint.zip");
        new FaTrainer(base, data).checkpointTo(ckpt).train();
        Path start = FaTrainer.ganStartCheckpoint(ckpt);
        assertEquals(dir.resolve("checkpoint-gan-start.zip"), start);
        assertEquals(3, Checkpoint.read(start).step(), "kept when the GAN phase starts");
        FaTrainer branch = FaTrainer.branch(start, data, other);
        assertEquals(3, branch.step());
        branch.train();
        Map<String, INDArray> a = straight.model().stateArrays(), b = branch.model().stateArrays();
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) assertArrayEquals(bits(a.get(k)), bits(b.get(k)), 0.0, k + " (bit for bit)");
        var ha = straight.history().table(); var hb = branch.history().table();
        for (String col : List.of(History.ENCODER_LOSS, History.GENERATOR, History.DISCRIMINATOR_FAKE)) {
            for (int i = 0; i < 6; i++) {
                assertEquals(ha.doubleColumn(col).getDouble(i), hb.doubleColumn(col).getDouble(i), 0.0, col + " at step " + (i + 1));
            }
        }
    }

    @Test
    void aBranchRefusesAStartPastTheGanPhaseOrAnotherEncoderPhase(@TempDir Path dir) throws IOException {
        ImageSet data = TinyRuns.squares(24, 4);
        RunConfig base = TinyRuns.tinyConfig(4, 2).with("dataType", "DOUBLE");
        Path ckpt = dir.resolve("checkpoint.zip");
        new FaTrainer(base, data).checkpointTo(ckpt).train();
        var late = assertThrows(Checkpoint.CheckpointException.class, () -> FaTrainer.branch(ckpt, data, base));
        assertTrue(late.getMessage().contains("past the GAN phase's start"), late.getMessage());
        var other = assertThrows(Checkpoint.CheckpointException.class,
                () -> FaTrainer.branch(FaTrainer.ganStartCheckpoint(ckpt), data, base.with("learningRate", "1e-3")));
        assertTrue(other.getMessage().contains("learningRate") && other.getMessage().contains("checkpoint-gan-start.zip"),
                other.getMessage());
    }
}
