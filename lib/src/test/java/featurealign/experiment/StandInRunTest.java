package featurealign.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import featurealign.data.DataMissingException;
import featurealign.data.DataSetId;
import featurealign.data.DataStore;
import featurealign.data.StandIn;
import featurealign.train.RunConfig;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Which data a run gets: smoke falls back to the generated stand-in and says so; cpu and paper need real data. */
@Timeout(300)
class StandInRunTest {
    @TempDir
    Path tmp;

    /** A store with nothing on disk whose downloads fail at once (a closed local port stands for "offline"). */
    private DataStore emptyStore() {
        return DataStore.builder().environment(Map.of("HOME", tmp.resolve("home").toString(), "PATH", ""))
                .cacheRoot(tmp.resolve("cache")).log(null).npmFallback(false).systemLocations(false)
                .mirrors(DataSetId.CIFAR10, List.of(URI.create("http://127.0.0.1:9/cifar-10-binary.tar.gz")))
                .connectTimeout(Duration.ofSeconds(2)).retries(1, Duration.ofMillis(10)).build();
    }

    @Test
    void cpuAndPaperProfilesWithoutDataSayHowToGetIt() {
        for (String profile : List.of("cpu", "paper")) {
            DataMissingException cifar = assertThrows(DataMissingException.class,
                    () -> Experiment.load(RunConfig.profile(profile, "cifar10"), emptyStore()));
            String m = cifar.getMessage();
            assertTrue(m.contains("cifar10 is not available"), m);
            assertTrue(m.contains("environment/fetch-data cifar10"), m);
            DataMissingException celeba = assertThrows(DataMissingException.class,
                    () -> Experiment.load(RunConfig.profile(profile, "celeba"), emptyStore()));
            assertTrue(celeba.getMessage().contains("by hand from https://mmlab.ie.cuhk.edu.hk"), celeba.getMessage());
        }
        assertFalse(Files.exists(StandIn.directory(tmp.resolve("cache"), DataSetId.CIFAR10)),
                "the cpu and paper profiles must not generate a stand-in");
    }

    @Test
    void smokeRunOnTheStandInSaysSoFirstAndInEveryFigureTitle() throws Exception {
        RunConfig smoke = RunConfig.profile("smoke", "cifar10");
        Experiment.Data data = Experiment.load(smoke, emptyStore());
        assertTrue(data.standIn());
        Path out = tmp.resolve("run");
        Experiment e = Experiment.open(smoke, out, data);
        String first = e.describe().lines().findFirst().orElseThrow();
        assertTrue(first.startsWith("STAND-IN DATA (generated), not CIFAR-10: "), first);
        assertTrue(first.contains("environment/fetch-data cifar10"), first);
        BufferedImage peek = e.dataPeek(4);
        assertEquals(new Color(150, 0, 0).getRGB(), peek.getRGB(1, 1), "the figure's title strip");
        assertTrue(Files.readString(out.resolve(StandIn.MARKER)).startsWith(StandIn.title(DataSetId.CIFAR10)));

        // A checkpoint of a stand-in run is never continued on real data (and the other way round).
        Files.writeString(out.resolve("checkpoint.zip"), "stands for a checkpoint: the check comes before reading it");
        IllegalStateException mixed = assertThrows(IllegalStateException.class,
                () -> Experiment.open(smoke, out, new Experiment.Data(data.train(), data.test())));
        assertTrue(mixed.getMessage().contains("was trained on the generated stand-in"), mixed.getMessage());
    }
}
