package featurealign.eval;

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
 * Trains (or loads from the cache) the MNIST and CIFAR-10 judges and prints their test accuracy and the real-vs-real
 * Fréchet floor of two test halves. The cache is {@code lib/target/judge-cache/} (system property
 * {@code fa.judge.cache} overrides it): {@code mvn clean} forgets it, and the cache key makes a stale judge retrain.
 * Data come from the shared folder (surefire's {@code fa.shared.dir}/data), FA_DATA_DIR or the user cache, never the
 * network. Absent data fail the test in CI ({@code CI=true}) and skip it elsewhere.
 *
 * <p>Cost on 2 shared cores: MNIST 2–4 minutes to train (one epoch of 60,000 images), CIFAR-10 4–5 minutes (eight
 * epochs of 10,000); a few seconds when cached.
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

    /** The split, or a failure in CI / a skip elsewhere when it is absent. */
    private static ImageSet load(String what, DataLoader loader) {
        try {
            return loader.load(store());
        } catch (DataFormatException e) {
            String message = "real " + what + " data not found (" + e.getMessage().lines().findFirst().orElse("")
                    + "); run environment/fetch-data to get it";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) fail(message + "; it is required in CI (CI=true)");
            Assumptions.abort(message + "; skipped outside CI");
            return null;
        }
    }

    private static void shuffle(int[] a, Random rng) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1), t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    private interface DataLoader {
        ImageSet load(DataStore store) throws DataFormatException;
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void mnistJudge() throws IOException {
        ImageSet train = load("MNIST", s -> s.mnist(Split.TRAIN));
        ImageSet test = load("MNIST", s -> s.mnist(Split.TEST));
        evaluate("mnist", train, test, JudgeConfig.mnist(), 0.97);
    }

    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void cifar10Judge() throws IOException {
        ImageSet train = load("CIFAR-10", s -> s.cifar10(Split.TRAIN));
        ImageSet test = load("CIFAR-10", s -> s.cifar10(Split.TEST));
        evaluate("cifar10", train, test, JudgeConfig.cifar10(), 0.45);
    }

    private static void evaluate(String name, ImageSet train, ImageSet test, JudgeConfig config, double minimum)
            throws IOException {
        long start = System.nanoTime();
        Judge judge = Judge.loadOrTrain(cacheDirectory().resolve(name + ".judge"), train, config,
                line -> System.out.println(name + " " + line));
        double obtainSeconds = (System.nanoTime() - start) / 1e9;
        INDArray images = test.toFloatNCHW();
        int[] labels = Judge.labelsOf(test);
        double accuracy = judge.accuracy(images, labels);

        SampleQuality quality = new SampleQuality(judge);
        // Random halves: MNIST's test file holds two writer populations one after the other, so its first and
        // second halves differ more than two random draws do.
        int half = test.size() / 2;
        int[] order = new int[test.size()];
        Arrays.setAll(order, i -> i);
        shuffle(order, new Random(42));
        INDArray first = test.toFloatNCHW(Arrays.copyOfRange(order, 0, half));
        INDArray second = test.toFloatNCHW(Arrays.copyOfRange(order, half, 2 * half));
        double floor = quality.realFloor(first, second);
        MetricsTable table = new MetricsTable(name + " judge")
                .add("judge test accuracy", accuracy, "fraction", test.size() + " test images")
                .add("judge Fréchet floor", floor, "judge features²", "two disjoint random test halves of " + half)
                .add("judge train-or-load time", obtainSeconds, "s", "training took "
                        + String.format(Locale.ROOT, "%.0f s", judge.summary().seconds()));
        System.out.println(name + " judge: " + judge.summary());
        System.out.println(table);
        System.out.println(name + " predicted-label histogram: "
                + SampleQuality.formatHistogram(quality.labelHistogram(images)));
        table.saveCsv(cacheDirectory().resolve(name + "-judge-metrics.csv"));
        assertTrue(accuracy >= minimum, String.format(Locale.ROOT, "%s judge test accuracy %.4f < %.2f", name,
                accuracy, minimum));
    }
}
