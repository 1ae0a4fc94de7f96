package featurealign.train;

import featurealign.data.ImageSet;
import featurealign.io.AtomicFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The FA-VAE-GAN training regime: which parameters each sub-step moves, exact resume, atomic checkpoints, NaN stop. */
class FaTrainingTest {

    static Map<String, INDArray> snapshot(Map<String, INDArray> params) {
        Map<String, INDArray> s = new HashMap<>();
        params.forEach((k, v) -> s.put(k, v.dup()));
        return s;
    }

    static boolean allUnchanged(Map<String, INDArray> before, Map<String, INDArray> now) {
        for (var e : now.entrySet()) if (!e.getValue().equals(before.get(e.getKey()))) return false;
        return true;
    }

    static int changedCount(Map<String, INDArray> before, Map<String, INDArray> now) {
        int n = 0;
        for (var e : now.entrySet()) if (!e.getValue().equals(before.get(e.getKey()))) n++;
        return n;
    }

    @Test
    void eachSubStepUpdatesExactlyItsOwnNetwork() {
        FaModel m = new FaModel(TinyRuns.tinyConfig(1, 0));
        ImageSet data = TinyRuns.squares(8, 1);
        int[] idx = data.allIndices();
        INDArray x = data.toNCHW(idx, DataType.FLOAT).muli(0.98).addi(0.01);
        INDArray y = data.labelsOneHot(idx, 3, DataType.FLOAT);
        Noise noise = new Noise(3);

        var enc0 = snapshot(m.encoderParameters());
        var gen0 = snapshot(m.generatorParameters());
        var dis0 = snapshot(m.discriminatorParameters());
        var r = m.encoderUpdate(x, y, noise.gaussian(DataType.FLOAT, 8, 4), noise.uniform(DataType.FLOAT, 8), null);
        assertEquals(m.encoderParameters().size(), changedCount(enc0, m.encoderParameters()), "encoder step moves every encoder tensor");
        assertTrue(allUnchanged(gen0, m.generatorParameters()), "encoder step must not touch G");
        assertTrue(allUnchanged(dis0, m.discriminatorParameters()), "encoder step must not touch D");

        var enc1 = snapshot(m.encoderParameters());
        m.generatorUpdate(r.array("reconstruction"), y, x, 1);
        assertTrue(changedCount(gen0, m.generatorParameters()) > 0, "generator step moves G");
        assertTrue(allUnchanged(enc1, m.encoderParameters()), "generator step must not touch the encoder");
        assertTrue(allUnchanged(dis0, m.discriminatorParameters()), "generator step must not touch D");

        var gen1 = snapshot(m.generatorParameters());
        m.discriminatorUpdate(x, DiscriminatorStep.Target.REAL, 1);
        assertEquals(m.discriminatorParameters().size(), changedCount(dis0, m.discriminatorParameters()));
        assertTrue(allUnchanged(enc1, m.encoderParameters()));
        assertTrue(allUnchanged(gen1, m.generatorParameters()));

        var dis1 = snapshot(m.discriminatorParameters());
        INDArray fake = m.fakeImages(noise.gaussian(DataType.FLOAT, 8, 4), y, null);
        assertTrue(allUnchanged(gen1, m.generatorParameters()), "drawing fakes must not train G");
        m.discriminatorUpdate(fake, DiscriminatorStep.Target.FAKE, 1);
        assertTrue(changedCount(dis1, m.discriminatorParameters()) > 0);
        assertTrue(allUnchanged(enc1, m.encoderParameters()));
        assertTrue(allUnchanged(gen1, m.generatorParameters()));
        assertEquals(1, m.encoderOptimizer().step());
        assertEquals(1, m.generatorOptimizer().step());
        assertEquals(2, m.discriminatorOptimizer().step());
    }

    @Test
    void encoderOnlyStepsLeaveTheGanUntouched() throws IOException {
        FaTrainer t = new FaTrainer(TinyRuns.tinyConfig(3, 3), TinyRuns.squares(24, 2));
        var gen0 = snapshot(t.model().generatorParameters());
        var dis0 = snapshot(t.model().discriminatorParameters());
        t.train();
        assertEquals(3, t.step());
        assertTrue(allUnchanged(gen0, t.model().generatorParameters()));
        assertTrue(allUnchanged(dis0, t.model().discriminatorParameters()));
        assertEquals(3, t.history().size());
        assertTrue(t.history().table().doubleColumn(History.GENERATOR).isMissing().size() == 3);
    }

    @Test
    void heldOutEvaluationsAreLoggedWithoutChangingTraining() throws IOException {
        ImageSet data = TinyRuns.squares(24, 2);
        RunConfig cfg = TinyRuns.tinyConfig(7, 3).with("evalEvery", "3");
        FaTrainer plain = new FaTrainer(cfg, data);
        plain.train();
        FaTrainer evaluated = new FaTrainer(cfg, data);
        java.util.List<Long> seen = new java.util.ArrayList<>();
        java.util.List<Progress.Report> reports = new java.util.ArrayList<>();
        evaluated.evaluateWith((model, step) -> {
            // Inference between steps, as a real evaluation does: it must not disturb the run.
            model.sample(5, data.labelsOneHot(new int[]{0, 1, 2, 0, 1}, 3, DataType.FLOAT), new Noise(99)).close();
            seen.add(step);
            return Map.of(History.TEST_PSNR, (double) step);
        }).onProgress(reports::add);
        evaluated.train();
        assertEquals(java.util.List.of(3L, 6L, 7L), seen, "every evalEvery steps and after the last one");
        Map<String, INDArray> a = plain.model().stateArrays(), b = evaluated.model().stateArrays();
        for (String k : a.keySet()) {
            assertArrayEquals(a.get(k).data().asDouble(), b.get(k).data().asDouble(), 0.0, k + " (bit for bit)");
        }
        var e = evaluated.history().evaluations();
        assertEquals(3, e.rowCount());
        assertEquals(7.0, e.doubleColumn(History.TEST_PSNR).getDouble(2));
        assertEquals(0, plain.history().evaluations().rowCount());
        assertEquals(Map.of(History.TEST_PSNR, 6.0), reports.get(5).evaluation(), "the report of step 6 carries it");
        assertTrue(reports.get(5).line().contains("held-out: PSNR 6.00 dB"), reports.get(5).line());
        assertTrue(reports.get(4).evaluation().isEmpty());
    }

    @Test
    void theCosineScheduleSetsTheEncodersRateEachStep() throws IOException {
        RunConfig cfg = TinyRuns.tinyConfig(4, 4).with("learningRate", "0.01").with("learningRateSchedule", "COSINE");
        FaTrainer t = new FaTrainer(cfg, TinyRuns.squares(16, 3));
        t.train(3);
        assertEquals(cfg.encoderLearningRateAt(2), t.model().encoderOptimizer().learningRate(), 1e-15);
        assertEquals(0.01, t.model().generatorOptimizer().learningRate(), "G and D keep their rate");
        t.train();
        assertEquals(0.01 * 0.5 * (1 + Math.cos(Math.PI * 3 / 4)), t.model().encoderOptimizer().learningRate(), 1e-15);
    }

    @Test
    void resumingContinuesExactly(@TempDir Path dir) throws IOException {
        ImageSet data = TinyRuns.squares(24, 4);
        RunConfig cfg = TinyRuns.tinyConfig(8, 2); // crosses an epoch boundary (3 batches per epoch) and the GAN start
        FaTrainer straight = new FaTrainer(cfg, data);
        straight.train();

        FaTrainer first = new FaTrainer(cfg, data).checkpointTo(dir.resolve("ckpt.zip"));
        first.train(4);
        FaTrainer resumed = FaTrainer.resume(dir.resolve("ckpt.zip"), data);
        assertEquals(4, resumed.step());
        resumed.train();
        assertEquals(8, resumed.step());
        Map<String, INDArray> a = straight.model().stateArrays(), b = resumed.model().stateArrays();
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) {
            double diff = a.get(k).sub(b.get(k)).amaxNumber().doubleValue();
            assertTrue(diff <= 1e-6, k + " differs by " + diff);
        }
        assertEquals(straight.history().size(), resumed.history().size());
        assertEquals(straight.history().table().doubleColumn(History.RECONSTRUCTION).get(7),
                resumed.history().table().doubleColumn(History.RECONSTRUCTION).get(7), 1e-3);
    }

    @Test
    void aCheckpointWriteKilledMidwayLeavesThePreviousOneLoadable(@TempDir Path dir) throws IOException {
        ImageSet data = TinyRuns.squares(24, 5);
        Path file = dir.resolve("ckpt.zip");
        FaTrainer t = new FaTrainer(TinyRuns.tinyConfig(6, 0), data).checkpointTo(file);
        t.train(2);
        t.train(2);
        byte[] good = Files.readAllBytes(file);
        // Write the step-4 checkpoint again through a stream that dies after 5,000 bytes, as a killed process would.
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(file, out -> {
            var c = snapshotCheckpoint(t);
            c.writeTo(new DyingStream(out, 5_000));
        }));
        assertTrue(e.getMessage().contains("killed"));
        assertArrayEquals(good, Files.readAllBytes(file), "the previous checkpoint must be untouched");
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file may be left behind");
        }
        assertEquals(4, FaTrainer.resume(file, data).step());
    }

    static Checkpoint snapshotCheckpoint(FaTrainer t) throws IOException {
        Path tmp = Files.createTempFile("ckpt", ".zip");
        try {
            t.saveCheckpoint(tmp);
            return Checkpoint.read(tmp);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Passes bytes through until a limit, then fails like a process killed mid-write. */
    static final class DyingStream extends OutputStream {
        private final OutputStream out;
        private long left;

        DyingStream(OutputStream out, long limit) { this.out = out; this.left = limit; }

        @Override public void write(int b) throws IOException {
            if (left-- <= 0) throw new IOException("killed mid-write");
            out.write(b);
        }

        @Override public void write(byte[] b, int off, int len) throws IOException {
            for (int i = 0; i < len; i++) write(b[off + i]);
        }
    }

    @Test
    void nanStopsTrainingWithTheTermNamedAndTheCheckpointIntact(@TempDir Path dir) throws IOException {
        ImageSet data = TinyRuns.squares(24, 6);
        Path file = dir.resolve("ckpt.zip");
        FaTrainer t = new FaTrainer(TinyRuns.tinyConfig(10, 0), data).checkpointTo(file);
        t.train(2);
        byte[] good = Files.readAllBytes(file);
        // Poison the log-variance head: exp(+Inf) makes the KL term infinite.
        t.model().encoderParameters().get("encoder_logvar/0/b").putScalar(0, Float.POSITIVE_INFINITY);
        var before = snapshot(t.model().stateArrays());
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> t.train(3));
        assertTrue(e.getMessage().contains("encoder loss") && e.getMessage().contains("step 3"), e.getMessage());
        assertEquals(2, t.step());
        for (var kv : t.model().stateArrays().entrySet()) {
            INDArray b = before.get(kv.getKey());
            assertTrue(java.util.Arrays.equals(b.data().asDouble(), kv.getValue().data().asDouble()), kv.getKey() + " changed");
        }
        assertArrayEquals(good, Files.readAllBytes(file), "the last good checkpoint must stay as it was");
        assertEquals(2, FaTrainer.resume(file, data).step());
    }

    @Test
    void damagedCheckpointsGiveAClearError(@TempDir Path dir) throws IOException {
        Path bad = dir.resolve("bad.zip");
        Files.write(bad, new byte[]{1, 2, 3, 4});
        var e = assertThrows(Checkpoint.CheckpointException.class, () -> FaTrainer.resume(bad, TinyRuns.squares(8, 1)));
        assertTrue(e.getMessage().contains(bad.toString()), e.getMessage());
        var missing = assertThrows(Checkpoint.CheckpointException.class, () -> FaTrainer.resume(dir.resolve("none.zip"), TinyRuns.squares(8, 1)));
        assertTrue(missing.getMessage().contains("no such checkpoint"), missing.getMessage());
    }

    @Test
    void inferenceUsesTheTrainedWeights() throws IOException {
        ImageSet data = TinyRuns.squares(24, 8);
        FaTrainer t = new FaTrainer(TinyRuns.tinyConfig(3, 0), data);
        INDArray x = data.toNCHW(data.allIndices(), DataType.FLOAT);
        INDArray before = t.model().encode(x).mean().dup();
        INDArray sampleBefore = t.model().refine(x, data.labelsOneHot(data.allIndices(), 3, DataType.FLOAT)).dup();
        t.train();
        INDArray after = t.model().encode(x).mean();
        assertTrue(after.sub(before).amaxNumber().doubleValue() > 1e-6, "inference still uses the initial encoder");
        INDArray sampleAfter = t.model().refine(x, data.labelsOneHot(data.allIndices(), 3, DataType.FLOAT));
        assertTrue(sampleAfter.sub(sampleBefore).amaxNumber().doubleValue() > 1e-6, "refinement still uses the initial generator");
    }

    @Test
    void inferenceShapes() {
        FaModel m = new FaModel(TinyRuns.tinyConfig(1, 0));
        ImageSet data = TinyRuns.squares(6, 7);
        INDArray x = data.toNCHW(data.allIndices(), DataType.FLOAT);
        INDArray y = data.labelsOneHot(data.allIndices(), 3, DataType.FLOAT);
        Noise n = new Noise(1);
        assertArrayEquals(new long[]{6, 1, 8, 8}, m.reconstruct(x, y, n).shape());
        assertArrayEquals(new long[]{6, 1, 8, 8}, m.reconstruct(x, y, null).shape());
        INDArray s = m.sample(6, y, n);
        assertArrayEquals(new long[]{6, 1, 8, 8}, s.shape());
        INDArray g = m.refine(s, y);
        assertTrue(g.minNumber().doubleValue() >= 0 && g.maxNumber().doubleValue() <= 1);
        var err = assertThrows(IllegalArgumentException.class, () -> m.sample(6, Nd4j.zeros(DataType.FLOAT, 6, 5), n));
        assertTrue(err.getMessage().contains("[6,3]"), err.getMessage());
    }
}
