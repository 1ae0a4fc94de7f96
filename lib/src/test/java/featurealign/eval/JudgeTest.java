package featurealign.eval;

import featurealign.eval.JudgeFixtures.Labelled;
import featurealign.nn.LayerSpec;
import featurealign.nn.Shape;
import featurealign.train.Checkpoint;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.nd4j.linalg.ops.transforms.Transforms.abs;

import static featurealign.eval.JudgeFixtures.CLASSES;
import static featurealign.eval.JudgeFixtures.SMALL;
import static org.junit.jupiter.api.Assertions.*;

class JudgeTest {

    static Labelled train, test;
    static Judge judge;
    static List<String> progress = new ArrayList<>();

    @BeforeAll
    static void trainOnce() {
        train = JudgeFixtures.squares(800, 1);
        test = JudgeFixtures.squares(400, 2);
        judge = Judge.train(train.images(), train.labels(), CLASSES, SMALL, progress::add);
    }

    @Test
    void learnsSquarePositionsToHighHeldOutAccuracy() {
        double accuracy = judge.accuracy(test.images(), test.labels());
        System.out.println("synthetic judge: held-out accuracy " + accuracy + "; " + judge.summary());
        assertTrue(accuracy >= 0.95, "held-out accuracy " + accuracy);
        // Chance is 0.25: an untrained judge with the same seed must not already pass.
        Judge untrained = Judge.train(train.images(), train.labels(), CLASSES, SMALL.withTrainingLimit(1), null);
        assertTrue(untrained.accuracy(test.images(), test.labels()) < 0.6);
        assertTrue(progress.stream().anyMatch(s -> s.contains("epoch 4/4")), progress.toString());
    }

    @Test
    void architectureIsTheDocumentedCnn() {
        var spec = Judge.architecture(Shape.image(1, 28, 28), 10, JudgeConfig.defaults());
        assertEquals(List.of(
                new LayerSpec.Conv2d(1, 32, 3, 1, 1), new LayerSpec.LeakyRelu(0.01),
                new LayerSpec.Conv2d(32, 32, 3, 2, 1), new LayerSpec.LeakyRelu(0.01),
                new LayerSpec.Conv2d(32, 64, 3, 1, 1), new LayerSpec.LeakyRelu(0.01),
                new LayerSpec.Conv2d(64, 64, 3, 2, 1), new LayerSpec.LeakyRelu(0.01),
                new LayerSpec.Flatten(), new LayerSpec.Dense(64 * 7 * 7, 128), new LayerSpec.LeakyRelu(0.01),
                new LayerSpec.Dense(128, 10)), spec.layers());
        var cifar = Judge.architecture(Shape.image(3, 32, 32), 10, JudgeConfig.defaults());
        assertEquals(new LayerSpec.Dense(128 * 4 * 4, 128), cifar.layers().get(cifar.layers().size() - 3));
        assertEquals(Shape.vector(10), cifar.output());
    }

    @Test
    void featuresAreFloat64AndBatchedAcrossTheInternalBatchSize() {
        // 1,100 images cross two internal batch boundaries (500): the rows must match per-image evaluation.
        INDArray many = Nd4j.concat(0, test.images(), test.images(), test.images()).get(
                org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 1100));
        INDArray f = judge.features(many);
        assertEquals(DataType.DOUBLE, f.dataType());
        assertArrayEquals(new long[]{1100, 16}, f.shape());
        INDArray single = judge.features(test.images().get(org.nd4j.linalg.indexing.NDArrayIndex.interval(3, 4)));
        assertEquals(single.getRow(0), f.getRow(803));
        double spread = f.std(0).sumNumber().doubleValue();
        assertTrue(spread > 1e-3, "features must vary between images, column std sum " + spread);
        INDArray p = judge.probabilities(test.images());
        assertArrayEquals(new long[]{400, CLASSES}, p.shape());
        double worstRowSum = abs(p.sum(1).sub(1.0)).maxNumber().doubleValue();
        assertTrue(worstRowSum < 1e-9, "probability rows must sum to 1, worst deviation " + worstRowSum);
    }

    @Test
    void saveLoadRoundTripGivesIdenticalPredictionsAndFeatures(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("judge.zip");
        judge.save(file);
        Judge loaded = Judge.load(file);
        assertEquals(judge.key(), loaded.key());
        assertEquals(judge.summary(), loaded.summary());
        assertArrayEquals(judge.predict(test.images()), loaded.predict(test.images()));
        assertEquals(judge.features(test.images()), loaded.features(test.images()));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file may be left beside the judge");
        }
    }

    @Test
    void aJudgeIsStoredAsACheckpointOfKindJudge(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("judge.zip");
        judge.save(file);
        Checkpoint c = Checkpoint.read(file);
        assertEquals(Judge.CHECKPOINT_KIND, c.kind());
        assertEquals(judge.summary().steps(), c.step());
        assertEquals(judge.key(), c.config().getProperty("key"));
        assertEquals(judge.spec().parameterCount(), c.arrays().values().stream().mapToLong(INDArray::length).sum());
    }

    @Test
    void damagedFilesGiveAClearErrorNamingTheFile(@TempDir Path dir) throws IOException {
        Path good = dir.resolve("judge.zip");
        judge.save(good);
        byte[] bytes = Files.readAllBytes(good);

        Path flipped = dir.resolve("flipped.zip");
        byte[] f = bytes.clone();
        f[f.length / 2] ^= 0x40; // inside a parameter array: the entry's CRC no longer matches
        Files.write(flipped, f);
        assertLoadFails(flipped, "damaged");

        Path truncated = dir.resolve("truncated.zip");
        Files.write(truncated, Arrays.copyOf(bytes, bytes.length - 100));
        assertLoadFails(truncated, "truncated");

        Path text = dir.resolve("text.zip");
        Files.writeString(text, "this is not a judge at all, just some text");
        assertLoadFails(text, "not a checkpoint");

        Path run = dir.resolve("run.zip");
        Checkpoint c = Checkpoint.read(good);
        new Checkpoint("fa-vae-gan", c.config(), c.step(), c.noiseState(), c.arrays(), c.optimizers(), c.historyCsv()).write(run);
        assertLoadFails(run, "not a judge");

        assertLoadFails(dir.resolve("missing.zip"), "no such checkpoint file");
    }

    @Test
    void aMissingOrMalformedSettingIsNamed(@TempDir Path dir) throws IOException {
        Path good = dir.resolve("judge.zip");
        judge.save(good);
        Checkpoint c = Checkpoint.read(good);

        Properties missing = (Properties) c.config().clone();
        missing.remove("featureWidth");
        Path noWidth = dir.resolve("no-width.zip");
        new Checkpoint(c.kind(), missing, c.step(), c.noiseState(), c.arrays(), c.optimizers(), c.historyCsv()).write(noWidth);
        assertLoadFails(noWidth, "config.properties: missing setting 'featureWidth'");

        Properties malformed = (Properties) c.config().clone();
        malformed.setProperty("epochs", "two");
        Path badEpochs = dir.resolve("bad-epochs.zip");
        new Checkpoint(c.kind(), malformed, c.step(), c.noiseState(), c.arrays(), c.optimizers(), c.historyCsv()).write(badEpochs);
        assertLoadFails(badEpochs, "config.properties: epochs = 'two', expected an integer");
    }

    /**
     * A file whose declared architecture differs from the key it carries (here: feature width 16 rewritten to 32) must
     * be refused, not loaded with mismatched weights; and so must parameters that do not fit the architecture.
     */
    @Test
    void mismatchedArchitectureIsRefused(@TempDir Path dir) throws IOException {
        Path good = dir.resolve("judge.zip");
        judge.save(good);
        Checkpoint c = Checkpoint.read(good);
        assertEquals("16", c.config().getProperty("featureWidth"), "test assumption about the judge");
        Properties wider = (Properties) c.config().clone();
        wider.setProperty("featureWidth", "32");
        Path edited = dir.resolve("edited.zip");
        new Checkpoint(c.kind(), wider, c.step(), c.noiseState(), c.arrays(), c.optimizers(), c.historyCsv()).write(edited);
        assertLoadFails(edited, "does not match its architecture");

        Map<String, INDArray> fewer = new LinkedHashMap<>(c.arrays());
        fewer.remove(fewer.keySet().iterator().next());
        Path lacking = dir.resolve("lacking.zip");
        new Checkpoint(c.kind(), c.config(), c.step(), c.noiseState(), fewer, c.optimizers(), c.historyCsv()).write(lacking);
        assertLoadFails(lacking, "parameter arrays");
    }

    private static void assertLoadFails(Path file, String expected) {
        JudgeFileException e = assertThrows(JudgeFileException.class, () -> Judge.load(file), file.toString());
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(expected), "expected '" + expected + "' in: " + e.getMessage());
        assertEquals(file, e.file());
    }

    @Test
    void loadOrTrainReusesOnlyAJudgeWithTheSameDataAndSettings(@TempDir Path dir) throws IOException {
        Path cache = dir.resolve("cache/judge.zip");
        Labelled small = JudgeFixtures.squares(96, 5);
        JudgeConfig quick = SMALL.withEpochs(1);
        List<String> log = new ArrayList<>();
        Judge first = Judge.loadOrTrain(cache, small.images(), small.labels(), CLASSES, quick, log::add);
        assertTrue(log.stream().anyMatch(s -> s.contains("saved")), log.toString());
        log.clear();
        Judge again = Judge.loadOrTrain(cache, small.images(), small.labels(), CLASSES, quick, log::add);
        assertTrue(log.stream().anyMatch(s -> s.contains("loaded")), log.toString());
        assertEquals(first.key(), again.key());
        assertArrayEquals(first.predict(small.images()), again.predict(small.images()));

        // Other settings, other labels, other pixels: each gives another key and a retrain, never the stale judge.
        int[] otherLabels = small.labels().clone();
        otherLabels[0] = (otherLabels[0] + 1) % CLASSES;
        INDArray otherPixels = small.images().dup();
        otherPixels.putScalar(new long[]{3, 0, 0, 0}, 0.123);
        for (Runnable change : List.<Runnable>of(
                () -> retrain(cache, small.images(), small.labels(), quick.withSeed(8), first, log),
                () -> retrain(cache, small.images(), otherLabels, quick, first, log),
                () -> retrain(cache, otherPixels, small.labels(), quick, first, log),
                () -> retrain(cache, small.images(), small.labels(), quick.withFeatureWidth(8), first, log),
                () -> retrain(cache, small.images(), small.labels(), quick.withAugmentation(Augmentation.photometric(1, false)), first, log),
                () -> retrain(cache, small.images(), small.labels(), quick.withAugmentation(Augmentation.photometric(2, false)), first, log))) {
            change.run();
        }

        // An unreadable cache file is replaced, not fatal.
        Files.writeString(cache, "garbage");
        log.clear();
        Judge rebuilt = Judge.loadOrTrain(cache, small.images(), small.labels(), CLASSES, quick, log::add);
        assertTrue(log.stream().anyMatch(s -> s.contains("not a complete checkpoint")), log.toString());
        assertEquals(first.key(), rebuilt.key());
        assertEquals(first.key(), Judge.load(cache).key());
    }

    private static void retrain(Path cache, INDArray images, int[] labels, JudgeConfig config, Judge stale,
                                List<String> log) {
        log.clear();
        try {
            Judge j = Judge.loadOrTrain(cache, images, labels, CLASSES, config, log::add);
            assertNotEquals(stale.key(), j.key());
            assertTrue(log.stream().anyMatch(s -> s.contains("retraining")), log.toString());
            assertEquals(j.key(), Judge.load(cache).key());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void badInputsAreRejectedWithTheExpectedShapeOrRange() {
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                () -> judge.predict(Nd4j.zeros(DataType.FLOAT, 2, 1, 10, 10)));
        assertTrue(shape.getMessage().contains("[batch,1,12,12]"), shape.getMessage());
        IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
                () -> judge.features(Nd4j.ones(DataType.FLOAT, 2, 1, 12, 12).mul(2)));
        assertTrue(range.getMessage().contains("[0,1]"), range.getMessage());
        IllegalArgumentException labels = assertThrows(IllegalArgumentException.class,
                () -> Judge.train(train.images(), new int[3], CLASSES, SMALL, null));
        assertTrue(labels.getMessage().contains("labels"), labels.getMessage());
        IllegalArgumentException labelValue = assertThrows(IllegalArgumentException.class,
                () -> Judge.train(train.images(), new int[800], 1, SMALL, null));
        assertTrue(labelValue.getMessage().contains("classes"), labelValue.getMessage());
    }

    /** Two attributes per image: "square in the top half" and "square in the left half" (±1), learnt independently. */
    @Test
    void attributeJudgeLearnsIndependentAttributesAndRoundTrips(@TempDir Path dir) throws IOException {
        Labelled a = JudgeFixtures.squares(800, 11), b = JudgeFixtures.squares(400, 12);
        Judge attributes = Judge.trainAttributes(a.images(), attributesOf(a.labels()), SMALL, null);
        assertEquals(Judge.Target.ATTRIBUTES, attributes.target());
        double accuracy = attributes.attributeAccuracy(b.images(), attributesOf(b.labels()));
        assertTrue(accuracy >= 0.95, "held-out mean attribute accuracy " + accuracy);
        // Flipping every attribute must turn the accuracy around: the check can fail.
        double flipped = attributes.attributeAccuracy(b.images(), attributesOf(b.labels()).neg());
        assertEquals(1.0, accuracy + flipped, 1e-9);
        assertThrows(IllegalStateException.class, () -> attributes.predict(b.images()));

        Path file = dir.resolve("attributes.judge");
        attributes.save(file);
        Judge loaded = Judge.load(file);
        assertEquals(Judge.Target.ATTRIBUTES, loaded.target());
        assertEquals(attributes.key(), loaded.key());
        assertEquals(accuracy, loaded.attributeAccuracy(b.images(), attributesOf(b.labels())), 1e-12);
        // Same images and settings, classes instead of attributes: another key.
        assertNotEquals(Judge.train(a.images(), a.labels(), CLASSES, SMALL.withEpochs(1), null).key(),
                Judge.trainAttributes(a.images(), attributesOf(a.labels()), SMALL.withEpochs(1), null).key());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> Judge.trainAttributes(a.images(), Nd4j.zeros(DataType.FLOAT, 800, 2), SMALL, null));
        assertTrue(bad.getMessage().contains("+1 or -1"), bad.getMessage());
    }

    private static INDArray attributesOf(int[] quadrants) {
        float[] v = new float[quadrants.length * 2];
        for (int i = 0; i < quadrants.length; i++) {
            v[2 * i] = quadrants[i] / 2 == 0 ? 1f : -1f;
            v[2 * i + 1] = quadrants[i] % 2 == 0 ? 1f : -1f;
        }
        return Nd4j.create(v, new long[]{quadrants.length, 2}, 'c');
    }
}
