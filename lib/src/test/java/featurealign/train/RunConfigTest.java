package featurealign.train;

import java.util.List;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class RunConfigTest {

    @Test
    void paperProfileKeepsTheAuthorsSettings() {
        RunConfig p = RunConfig.profile("paper", "mnist");
        assertEquals(128, p.batchSize());
        assertEquals(469, p.steps());
        assertEquals(0, p.ganStartStep());
        assertEquals(1e-4, p.learningRate());
        assertEquals(0.5, p.beta1());
        assertEquals(0.999, p.beta2());
        assertEquals(0.0, p.perceptualWeight());
        assertTrue(Double.isNaN(p.fixedKlWeight()));
        assertTrue(p.clampWeights());
        assertEquals(1, p.alignment().steps());
        assertEquals(1.0, p.alignment().stepSize());
        assertEquals(128, p.architecture().latent());
    }

    @Test
    void propertiesRoundTripAndOverridesByKey() {
        RunConfig c = RunConfig.profile("cpu", "cifar10").with("alignment.steps", "2").with("seed", "7");
        assertEquals(c, RunConfig.fromProperties(c.toProperties()));
        assertEquals(2, c.alignment().steps());
        assertEquals(7, c.seed());
        assertEquals(3, c.architecture().image().dim(0));
        RunConfig m = c.with("dataset", "mnist");
        assertEquals(1, m.architecture().image().dim(0), "a new data set brings its architecture");
    }

    @Test
    void badOverridesNameTheKeyAndTheExpectation() {
        RunConfig c = RunConfig.profile("smoke", "mnist");
        var unknown = assertThrows(IllegalArgumentException.class, () -> c.with("stepz", "3"));
        assertTrue(unknown.getMessage().contains("no setting 'stepz'"), unknown.getMessage());
        var bad = assertThrows(IllegalArgumentException.class, () -> c.with("steps", "many"));
        assertTrue(bad.getMessage().contains("steps") && bad.getMessage().contains("integer"), bad.getMessage());
        var range = assertThrows(IllegalArgumentException.class, () -> c.with("batchSize", "0"));
        assertTrue(range.getMessage().contains("batchSize = 0"), range.getMessage());
        var profile = assertThrows(IllegalArgumentException.class, () -> RunConfig.profile("fast", "mnist"));
        assertTrue(profile.getMessage().contains("smoke"), profile.getMessage());
    }

    @Test
    void cosineScheduleDecaysTheEncoderRateToZeroOverTheRun() {
        RunConfig c = RunConfig.profile("paper", "mnist").with("steps", "100").with("learningRate", "0.001");
        assertEquals(RunConfig.LearningRateSchedule.CONSTANT, c.learningRateSchedule(), "the reference keeps its rate");
        assertEquals(0.001, c.encoderLearningRateAt(73));
        RunConfig cos = c.with("learningRateSchedule", "COSINE");
        assertEquals(0.001, cos.encoderLearningRateAt(0), 1e-15);
        assertEquals(0.0005, cos.encoderLearningRateAt(50), 1e-15);
        assertEquals(0.001 * 0.5 * (1 + Math.cos(Math.PI * 0.9)), cos.encoderLearningRateAt(90), 1e-15);
        assertEquals(0.0, cos.encoderLearningRateAt(100), 1e-15);
        assertEquals(0.0, cos.encoderLearningRateAt(150), 1e-15, "past the planned steps it stays at 0");
        var bad = assertThrows(IllegalArgumentException.class, () -> c.with("learningRateSchedule", "STEP"));
        assertTrue(bad.getMessage().contains("learningRateSchedule") && bad.getMessage().contains("COSINE"), bad.getMessage());
    }

    @Test
    void settingsOfOlderCheckpointsReadWithTheReferenceDefaults() {
        // Checkpoints written before evalEvery and learningRateSchedule existed lack both keys.
        var p = RunConfig.profile("cpu", "mnist").with("evalEvery", "50").with("learningRateSchedule", "COSINE").toProperties();
        p.remove("evalEvery");
        p.remove("learningRateSchedule");
        RunConfig old = RunConfig.fromProperties(p);
        assertEquals(0, old.evalEvery());
        assertEquals(RunConfig.LearningRateSchedule.CONSTANT, old.learningRateSchedule());
        var neg = assertThrows(IllegalArgumentException.class, () -> old.with("evalEvery", "-1"));
        assertTrue(neg.getMessage().contains("evalEvery = -1"), neg.getMessage());
    }

    @Test
    void departuresListWhatDiffersFromTheAuthorsSettings() {
        assertTrue(RunConfig.profile("paper", "cifar10").departures().isEmpty());
        RunConfig c = RunConfig.profile("paper", "mnist").with("learningRate", "5e-4").with("evalEvery", "10")
                .with("alignment.conditioningWeight", "30").with("architecture.hidden", "1024");
        assertEquals(java.util.List.of("alignment.conditioningWeight", "architecture.hidden", "learningRate"),
                java.util.List.copyOf(c.departures().keySet()), "bookkeeping (evalEvery) is not a departure");
        assertEquals("5.0E-4 (reference: 1.0E-4)", c.departures().get("learningRate"));
        assertEquals("1024 (reference: 4096)", c.departures().get("architecture.hidden"));
        // The reference's KL weight is random, stored as NaN: the list says what it means.
        assertEquals("0.005 (reference: β ~ U(0,1) per sample)",
                RunConfig.profile("cpu", "cifar10").departures().get("fixedKlWeight"));
    }

    /** The GAN phase's departures (issue 18): keys, round trip, departures, errors, and older checkpoints. */
    @Test
    void theGanSettingsAreNamedDepartures() {
        RunConfig paper = RunConfig.profile("paper", "cifar10");
        assertEquals(GanOptions.reference(), paper.ganOptions());
        RunConfig c = paper.with("gan.refiner", "RESIDUAL").with("gan.anchorWeight", "10").with("gan.anchor", "L2")
                .with("gan.priorSamples", "true").with("gan.generatorLearningRate", "1e-4")
                .with("gan.discriminatorLearningRate", "4e-4").with("gan.discriminatorWarmup", "50").with("gan.ema", "0.999")
                .with("gan.prior", "CLASS_GAUSSIAN");
        assertEquals(c, RunConfig.fromProperties(c.toProperties()));
        GanOptions g = c.ganOptions();
        assertEquals(featurealign.nn.Generator.Refiner.RESIDUAL, g.refiner());
        assertEquals(GanOptions.Anchor.L2, g.anchor());
        assertEquals(4e-4, g.discriminatorRate(c.learningRate()));
        assertEquals(1e-4, paper.ganOptions().generatorRate(1e-4), "NaN uses the run's learningRate");
        // gan.generatorLearningRate = 1e-4 equals the reference's effective rate but is written out: still listed.
        assertEquals(java.util.List.of("gan.anchor", "gan.anchorWeight", "gan.discriminatorLearningRate",
                "gan.discriminatorWarmup", "gan.ema", "gan.generatorLearningRate", "gan.prior", "gan.priorSamples", "gan.refiner"),
                java.util.List.copyOf(c.departures().keySet()));
        assertEquals("RESIDUAL (reference: REFERENCE)", c.departures().get("gan.refiner"));
        assertEquals("0.999 (reference: 0.0)", c.departures().get("gan.ema"));

        String[][] bad = {{"gan.refiner", "UNET", "REFERENCE"}, {"gan.anchor", "L3", "L1"},
                {"gan.anchorWeight", "-1", ">= 0"}, {"gan.priorSamples", "yes", "true or false"},
                {"gan.generatorLearningRate", "0", "NaN"}, {"gan.discriminatorLearningRate", "-1e-4", "> 0"},
                {"gan.discriminatorWarmup", "-3", ">= 0"}, {"gan.ema", "1", "[0,1)"}, {"gan.ema", "x", "a number"},
                {"gan.prior", "UNIFORM", "CLASS_GAUSSIAN"}};
        for (String[] b : bad) {
            var e = assertThrows(IllegalArgumentException.class, () -> paper.with(b[0], b[1]), b[0] + "=" + b[1]);
            assertTrue(e.getMessage().contains(b[0]) && e.getMessage().contains(b[2]), e.getMessage());
        }

        // Checkpoints written before issue 18 have no gan.* keys: they ran the reference GAN phase.
        var p = c.toProperties();
        p.stringPropertyNames().stream().filter(k -> k.startsWith("gan.")).forEach(p::remove);
        assertEquals(GanOptions.reference(), RunConfig.fromProperties(p).ganOptions());
    }

    @Test
    void samplingPriorRoundTripsIsADepartureAndDefaultsToStandardInOldCheckpoints() {
        // The reference samples from N(0, I); the cpu profiles (and the smoke runs that check them) from the fitted
        // class Gaussians.
        assertEquals(RunConfig.SamplingPrior.STANDARD, RunConfig.profile("paper", "mnist").samplingPrior());
        for (String profile : List.of("cpu", "smoke")) {
            for (String dataset : List.of("mnist", "cifar10", "celeba")) {
                assertEquals(RunConfig.SamplingPrior.CLASS_GAUSSIAN, RunConfig.profile(profile, dataset).samplingPrior(), profile + " " + dataset);
            }
        }
        RunConfig c = RunConfig.profile("paper", "mnist").with("sampling.prior", "CLASS_GAUSSIAN").with("sampling.fitImages", "5000");
        assertEquals(RunConfig.SamplingPrior.CLASS_GAUSSIAN, c.samplingPrior());
        assertEquals(5000, c.fitImages());
        assertEquals("CLASS_GAUSSIAN", c.toProperties().getProperty("sampling.prior"));
        assertEquals(c, RunConfig.fromProperties(c.toProperties()));
        assertEquals("CLASS_GAUSSIAN (reference: STANDARD)", c.departures().get("sampling.prior"));
        assertEquals("5000 (reference: 10000)", c.departures().get("sampling.fitImages"));
        RunConfig standard = c.withSamplingPrior(RunConfig.SamplingPrior.STANDARD);
        assertTrue(standard.departures().isEmpty(), "fit images mean nothing for N(0, I): " + standard.departures());

        var p = c.toProperties();
        p.remove("sampling.prior");
        p.remove("sampling.fitImages");
        RunConfig old = RunConfig.fromProperties(p);
        assertEquals(RunConfig.SamplingPrior.STANDARD, old.samplingPrior());
        assertEquals(RunConfig.DEFAULT_FIT_IMAGES, old.fitImages());
        var bad = assertThrows(IllegalArgumentException.class, () -> c.with("sampling.prior", "GAUSSIAN"));
        assertTrue(bad.getMessage().contains("sampling.prior") && bad.getMessage().contains("CLASS_GAUSSIAN"), bad.getMessage());
        var zero = assertThrows(IllegalArgumentException.class, () -> c.with("sampling.fitImages", "0"));
        assertTrue(zero.getMessage().contains("sampling.fitImages = 0"), zero.getMessage());
    }

    /** Every profile file of every data set reads into a full, valid config; the files name their data set's family. */
    @Test
    void everyProfileFileReadsCompletely() {
        for (String profile : RunConfig.PROFILES) {
            for (String dataset : RunConfig.DATASETS) {
                RunConfig c = RunConfig.profile(profile, dataset);
                assertEquals(profile, c.profile());
                assertEquals(dataset, c.dataset());
                assertSame(c, RunConfig.profile(profile, dataset), "parsed once");
            }
        }
        // The cpu file's changes are departures from the paper file, and only those (bookkeeping aside).
        var d = RunConfig.profile("cpu", "cifar10").departures();
        assertEquals("0.5 (reference: 1.0)", d.get("sampling.temperature"));
        assertFalse(d.containsKey("beta1"), d.toString());
        var unknown = assertThrows(IllegalArgumentException.class, () -> RunConfig.profile("laptop", "mnist"));
        assertTrue(unknown.getMessage().contains("unknown profile 'laptop'"), unknown.getMessage());
    }

    /** Overrides set together are checked together: a setting that needs another can come first. */
    @Test
    void overridesThatDependOnEachOtherAreCheckedTogether() {
        RunConfig paper = RunConfig.profile("paper", "mnist");
        var alone = assertThrows(IllegalArgumentException.class, () -> paper.with("gan.priorAnchorWeight", "0.1"));
        assertTrue(alone.getMessage().contains("gan.priorSamples"), alone.getMessage());
        var both = new java.util.LinkedHashMap<String, String>();
        both.put("gan.priorAnchorWeight", "0.1");
        both.put("gan.priorSamples", "true");
        RunConfig c = paper.with(both);
        assertEquals(0.1, c.ganOptions().priorAnchorWeight());
        assertTrue(c.ganOptions().priorSamples());
    }
}
