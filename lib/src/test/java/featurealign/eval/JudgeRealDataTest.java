package featurealign.eval;

import featurealign.experiment.Experiment;
import featurealign.train.RunConfig;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import featurealign.data.DataFormatException;
import featurealign.data.DataStore;
import featurealign.data.ImageSet;
import featurealign.data.Split;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Trains (or loads from the cache) the judges the walkthroughs use, on the same images ({@link Experiment#load} of the
 * cpu profile) and with the same settings ({@link Experiment#judgeFor}), so a judge trained here is the one the
 * walkthroughs load, and checks their own quality: accuracy on real test images and on them blurred with σ = 2 px.
 * The judges live in the data store's cache ({@code judges/}); their key covers data, architecture, training and
 * augmentation, so a stale judge retrains. The scores go to {@code lib/target/judge-cache/<name>-judge-metrics.csv}.
 * Data come from the shared folder (surefire's {@code fa.shared.dir}/data), FA_DATA_DIR or the user cache, never the
 * network. Absent data fail the test in CI ({@code CI=true}) and skip it elsewhere.
 *
 * <p>Cost on 2 cores when no judge is cached: a few minutes each (results/README.md has the measured times); a few
 * seconds when cached.
 */
class JudgeRealDataTest {

    private static Path cacheDirectory() {
        return Path.of(System.getProperty("fa.judge.cache", "target/judge-cache"));
    }

    private static DataStore store() {
        DataStore.Builder builder = DataStore.builder().fetching(false).log(null);
        String shared = System.getProperty("fa.shared.dir");
        if (shared != null && Files.isDirectory(Path.of(shared, "data"))) builder.root(Path.of(shared, "data"));
        return builder.build();
    }

    private static void shuffle(int[] a, Random rng) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1), t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    /** The walkthrough's training and test sets of a data set, from the test's store (never fetched). */
    private static Experiment.Data data(String dataset) {
        try {
            return Experiment.load(RunConfig.profile("cpu", dataset), store());
        } catch (DataFormatException e) {
            String message = "real " + dataset + " data not found (" + e.getMessage().lines().findFirst().orElse("")
                    + "); run environment/fetch-data to get it";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) fail(message + "; it is required in CI (CI=true)");
            Assumptions.abort(message + "; skipped outside CI");
            return null;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * The MNIST judge: at least 98.5 % on the test digits and 95 % on them blurred with σ = 2 px (measured: 99.20 % and
     * 98.19 %; the sample-quality issue asks for 99 %, and a judge retrained on another CPU lands a little apart).
     */
    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void mnistJudge() throws IOException {
        Experiment.Data d = data("mnist");
        evaluate("mnist", d.train(), d.test(), 0.985, 0.95);
    }

    /**
     * The CIFAR-10 judge, trained on the 10,000 training images of the shared subset: at least 69 % on the test images
     * (measured: 70.7 %, the sample-quality issue's bar is 70 %; a judge retrained on another CPU lands a little apart).
     */
    @Test
    @Timeout(value = 20, unit = TimeUnit.MINUTES)
    void cifar10Judge() throws IOException {
        Experiment.Data d = data("cifar10");
        evaluate("cifar10", d.train(), d.test(), 0.69, 0.55);
    }

    /**
     * The CelebA attribute judge (64×64, 40 attributes, training partition): a mean attribute accuracy of at least 84 %
     * on the test images the walkthrough uses (measured: 86.0 %, against 81.2 % for each attribute's majority value).
     */
    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void celebaJudge() throws IOException {
        Experiment.Data d = data("celeba");
        evaluate("celeba", d.train(), d.test(), 0.84, 0.8);
        assertTrue(Experiment.attributeMajorityBaseline(d.train(), d.test()) < 0.83, "the judge must beat the majority baseline");
    }

    private static void evaluate(String name, ImageSet train, ImageSet test, double minimum, double blurredMinimum)
            throws IOException {
        long start = System.nanoTime();
        // The user's cache on purpose: these are the walkthroughs' judges, trained once for both.
        Judge judge = Experiment.judgeFor(Experiment.userJudgeDirectory(), name, name, train,
                new PrintStream(System.out, true, StandardCharsets.UTF_8));
        double obtainSeconds = (System.nanoTime() - start) / 1e9;
        Judge.Scores scores = judge.score(test, 2.0);
        MetricsTable table = new MetricsTable(name + " judge")
                .add("judge accuracy, real test images", scores.real(), "fraction", test.size() + " test images")
                .add("judge accuracy, blurred test images", scores.blurred(), "fraction", "Gaussian σ = 2 px")
                .add("judge train-or-load time", obtainSeconds, "s", "training took "
                        + String.format(Locale.ROOT, "%.0f s", judge.summary().seconds()));
        if (judge.target() == Judge.Target.CLASSES || test.size() >= 4) {
            // Random halves: MNIST's test file holds two writer populations one after the other, so its first and
            // second halves differ more than two random draws do.
            int half = test.size() / 2;
            int[] order = new int[test.size()];
            Arrays.setAll(order, i -> i);
            shuffle(order, new Random(42));
            INDArray first = test.toFloatNCHW(Arrays.copyOfRange(order, 0, half));
            INDArray second = test.toFloatNCHW(Arrays.copyOfRange(order, half, 2 * half));
            table.add("judge Fréchet floor", new SampleQuality(judge).realFloor(first, second), "judge features²",
                    "two disjoint random test halves of " + half);
        }
        System.out.println(name + " judge: " + judge.summary());
        System.out.println(name + " judge: " + scores);
        System.out.println(table);
        table.saveCsv(cacheDirectory().resolve(name + "-judge-metrics.csv"));
        assertTrue(scores.real() >= minimum, String.format(Locale.ROOT, "%s judge test accuracy %.4f < %.2f", name,
                scores.real(), minimum));
        assertTrue(scores.blurred() >= blurredMinimum, String.format(Locale.ROOT,
                "%s judge accuracy on blurred test images %.4f < %.2f", name, scores.blurred(), blurredMinimum));
    }
}
