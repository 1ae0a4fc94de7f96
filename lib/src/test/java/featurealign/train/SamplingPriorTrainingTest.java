package featurealign.train;

import featurealign.data.ImageSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** sampling.prior in a run: fitted at the end of training, saved and resumed with it, and never changing training. */
class SamplingPriorTrainingTest {

    static RunConfig classGaussian(int steps, int ganStart) {
        return TinyRuns.tinyConfig(steps, ganStart).withSamplingPrior(RunConfig.SamplingPrior.CLASS_GAUSSIAN);
    }

    static INDArray labels(int... ids) { return Conditioning.oneHot(ids, 3, DataType.FLOAT); }

    static void assertBitEqual(INDArray a, INDArray b, String what) {
        assertArrayEquals(a.shape(), b.shape(), what);
        assertArrayEquals(a.data().asDouble(), b.data().asDouble(), 0.0, what + " (bit for bit)");
    }

    @Test
    void theSettingDoesNotChangeTrainingAndThePriorIsFittedToTheFinalEncoder() throws IOException {
        ImageSet data = TinyRuns.squares(24, 4);
        FaTrainer standard = new FaTrainer(TinyRuns.tinyConfig(5, 2), data); // GAN fake steps from step 3
        standard.train();
        FaTrainer gaussian = new FaTrainer(classGaussian(5, 2), data);
        gaussian.train(3);
        assertNull(gaussian.model().prior(), "not fitted before the last step");
        gaussian.train();
        Map<String, INDArray> a = standard.model().stateArrays(), b = gaussian.model().stateArrays();
        for (String k : a.keySet()) assertBitEqual(a.get(k), b.get(k), k);
        assertEquals(standard.noise().nextLong(), gaussian.noise().nextLong(), "the same draws from the run's noise");

        assertNull(standard.model().prior(), "STANDARD fits nothing");
        LatentPrior p = gaussian.model().prior();
        assertNotNull(p);
        assertTrue(gaussian.priorCurrent());
        assertEquals(5, p.encoderStep());
        assertEquals(24, p.imageCount());
        assertBitEqual(LatentPrior.fit(gaussian.model(), data, 10_000).meanArray(), p.meanArray(), "prior means");
    }

    @Test
    void resumeKeepsTheFittedPriorAndItsSamples(@TempDir Path dir) throws IOException {
        ImageSet data = TinyRuns.squares(24, 5);
        Path file = dir.resolve("ckpt.zip");
        FaTrainer t = new FaTrainer(classGaussian(4, 2), data).checkpointTo(file);
        t.train();
        LatentPrior saved = t.model().prior();
        assertNotNull(saved);
        assertTrue(Checkpoint.read(file).arrays().containsKey(LatentPrior.MEAN), "the final checkpoint holds the prior");

        FaTrainer resumed = FaTrainer.resume(file, data);
        LatentPrior back = resumed.model().prior();
        assertNotNull(back);
        assertTrue(resumed.priorCurrent());
        assertBitEqual(saved.meanArray(), back.meanArray(), "means");
        assertBitEqual(saved.stdArray(), back.stdArray(), "standard deviations");
        assertArrayEquals(saved.counts(), back.counts());
        INDArray cond = labels(0, 1, 2, 2, 1, 0);
        assertBitEqual(t.model().sample(6, cond, new Noise(11)), resumed.model().sample(6, cond, new Noise(11)), "samples");
        assertBitEqual(t.model().refine(t.model().sample(6, cond, new Noise(11)), cond),
                resumed.model().refine(resumed.model().sample(6, cond, new Noise(11)), cond), "refined samples");

        // Switched to STANDARD, the resumed run samples from N(0, I) but keeps the prior for a switch back.
        FaTrainer standard = FaTrainer.resume(file, data, (c, step) -> c.withSamplingPrior(RunConfig.SamplingPrior.STANDARD));
        assertNotNull(standard.model().prior());
        assertNull(standard.model().samplingPrior());
    }

    @Test
    void standardSamplesAreThoseOfTheCodeBeforeThePrior() throws IOException {
        FaTrainer t = new FaTrainer(TinyRuns.tinyConfig(3, 1), TinyRuns.squares(24, 6));
        t.train();
        FaModel m = t.model();
        INDArray cond = labels(2, 1, 0, 1, 2);
        // The code path before sampling.prior existed: z = the stream's first n×Z normals, aligned with the same stream.
        Noise old = new Noise(8);
        INDArray before = m.align(old.gaussian(DataType.FLOAT, 5, TinyRuns.TINY.latent()), cond, old);
        assertBitEqual(before, m.sample(5, cond, new Noise(8)), "STANDARD samples");
        m.setPrior(LatentPrior.fit(m, t.data(), 100)); // a prior on a STANDARD run is not used
        assertBitEqual(before, m.sample(5, cond, new Noise(8)), "STANDARD samples with a prior present");
    }

    /** sampling.temperature t scales ε before the prior: z = mean + t·std·ε, here checked against the prior's own map. */
    @Test
    void temperatureScalesTheStandardNormalDrawsBeforeThePrior() throws IOException {
        ImageSet data = TinyRuns.squares(24, 9);
        FaTrainer t = new FaTrainer(classGaussian(3, 3), data);
        t.train();
        LatentPrior p = t.model().prior();
        INDArray cond = labels(0, 1, 2, 0);
        RunConfig cooled = t.config().with("sampling.temperature", "0.5");
        assertEquals("0.5 (reference: 1.0)", cooled.departures().get("sampling.temperature"));
        FaModel m = new FaModel(cooled);
        for (var e : t.model().stateArrays().entrySet()) m.stateArrays().get(e.getKey()).assign(e.getValue());
        Noise n = new Noise(11);
        INDArray eps = n.gaussian(DataType.FLOAT, 4, TinyRuns.TINY.latent()).muli(0.5);
        INDArray expected = m.align(p.latents(eps, new int[]{0, 1, 2, 0}), cond, n);
        assertBitEqual(expected, m.sample(4, cond, new Noise(11), p), "samples at temperature 0.5");
        var bad = assertThrows(IllegalArgumentException.class, () -> cooled.with("sampling.temperature", "0"));
        assertTrue(bad.getMessage().contains("sampling.temperature"), bad.getMessage());
    }

    @Test
    void classGaussianWithoutACurrentPriorIsAClearError() throws IOException {
        ImageSet data = TinyRuns.squares(24, 7);
        FaTrainer t = new FaTrainer(classGaussian(6, 6), data);
        t.train(2);
        var none = assertThrows(IllegalStateException.class, () -> t.model().sample(3, labels(0, 1, 2), new Noise(1)));
        assertTrue(none.getMessage().contains("CLASS_GAUSSIAN") && none.getMessage().contains("no prior"), none.getMessage());
        t.fitPrior();
        assertEquals(3, t.model().sample(3, labels(0, 1, 2), new Noise(1)).size(0));
        t.train(1);
        var stale = assertThrows(IllegalStateException.class, () -> t.model().sample(3, labels(0, 1, 2), new Noise(1)));
        assertTrue(stale.getMessage().contains("after 2 encoder updates") && stale.getMessage().contains("3"), stale.getMessage());
        t.train();
        assertTrue(t.priorCurrent(), "fitted again at the last step");
    }
}
