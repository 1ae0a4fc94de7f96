package featurealign.bench;

import featurealign.data.DataStore;
import featurealign.data.ImageSet;
import featurealign.data.Split;
import featurealign.eval.Judge;
import featurealign.eval.JudgeConfig;
import featurealign.experiment.LocalExperiment;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * Fingerprints of the regimes that {@code featurealign train} does not cover, for {@code environment/bit-identity}: a
 * local-training smoke run of MNIST and of CIFAR-10 (every step's summed loss and a SHA-256 of the final parameters;
 * CIFAR-10 only where its data is) and an MNIST judge (2 epochs on 1,500 images: its key, its scores and a SHA-256 of
 * its probabilities on 300 test images). Uses
 * only API that older versions of the kit have too, so it runs (as a source file) against another revision's classes.
 * <p>
 * Usage: {@code java -cp CLASSES:DEPENDENCIES RegimeFingerprint.java OUT_DIR} (FA_RESULTS_DIR is set to OUT_DIR).
 */
public final class RegimeFingerprint {

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        Files.createDirectories(out);
        for (String dataset : new String[]{"mnist", "cifar10"}) {
            LocalExperiment e;
            try {
                e = LocalExperiment.open(dataset, "smoke", false);
            } catch (featurealign.data.DataFormatException missing) {
                System.out.println("local " + dataset + ": skipped, no " + dataset + " data here (FA_DATA_DIR)");
                continue;
            }
            e.train(System.err, 1);
            System.out.println("local " + dataset + " loss history " + sha(Files.readAllBytes(e.outputDir().resolve("local-history.csv"))));
            System.out.println("local " + dataset + " parameters " + sha(e.training().parameters()));
        }
        DataStore store = DataStore.fromEnvironment();
        ImageSet train = store.mnist(Split.TRAIN).first(1500), test = store.mnist(Split.TEST).first(300);
        Judge judge = Judge.train(train.toFloatNCHW(), Judge.labelsOf(train), 10, JudgeConfig.mnist().withEpochs(2), null);
        Path file = out.resolve("judge");
        judge.save(file);
        Judge loaded = Judge.load(file);
        System.out.println("judge key " + loaded.key());
        System.out.println("judge " + loaded.score(test, 1.5));
        System.out.println("judge probabilities " + sha(Map.of("p", loaded.probabilities(test.toFloatNCHW()))));
    }

    private static String sha(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    /** SHA-256 over the arrays by name, each value as its exact decimal (float32 widens exactly). */
    private static String sha(Map<String, INDArray> arrays) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        for (var e : new TreeMap<>(arrays).entrySet()) {
            md.update(e.getKey().getBytes());
            for (double v : e.getValue().dup('c').data().asDouble()) md.update(Double.toString(v).getBytes());
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
