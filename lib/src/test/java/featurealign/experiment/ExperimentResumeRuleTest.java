package featurealign.experiment;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import featurealign.train.RunConfig;
import featurealign.train.TinyRuns;
import org.junit.jupiter.api.Test;

/** Which saved runs {@link Experiment#open} continues under a changed config. */
class ExperimentResumeRuleTest {

    private static final RunConfig GAUSSIAN_GAN = TinyRuns.tinyConfig(10, 6).with("gan.priorSamples", "true")
            .with("gan.prior", "CLASS_GAUSSIAN");

    @Test
    void samplingSettingsAreFreeOutsideAClassGaussianGanPhase() {
        RunConfig warmer = GAUSSIAN_GAN.with("sampling.temperature", "0.5").with("sampling.fitImages", "100");
        assertTrue(Experiment.sameRun(GAUSSIAN_GAN, warmer, 3), "before the GAN phase: its prior is not fitted yet");
        assertTrue(Experiment.sameRun(GAUSSIAN_GAN, warmer, 10), "a finished run samples at any temperature");
        assertTrue(Experiment.sameRun(GAUSSIAN_GAN, warmer.withSteps(12), 6), "at the GAN phase's start: nothing drawn yet");
        RunConfig standard = GAUSSIAN_GAN.with("gan.prior", "STANDARD");
        assertTrue(Experiment.sameRun(standard, standard.with("sampling.temperature", "0.5"), 8), "N(0, I) GAN latents ignore it");
        assertTrue(Experiment.sameRun(GAUSSIAN_GAN, GAUSSIAN_GAN.with("sampling.prior", "STANDARD"), 8));
    }

    @Test
    void aClassGaussianGanPhaseKeepsItsTemperatureAndFitImages() {
        assertFalse(Experiment.sameRun(GAUSSIAN_GAN, GAUSSIAN_GAN.with("sampling.temperature", "0.5"), 8));
        assertFalse(Experiment.sameRun(GAUSSIAN_GAN, GAUSSIAN_GAN.with("sampling.fitImages", "100"), 8));
        assertFalse(Experiment.sameRun(GAUSSIAN_GAN, GAUSSIAN_GAN.with("learningRate", "1e-3"), 3), "training settings never");
        assertTrue(Experiment.sameRun(GAUSSIAN_GAN, GAUSSIAN_GAN.withSteps(20), 8), "a longer run continues");
    }
}
