package featurealign.experiment;

import featurealign.data.ImageSet;
import featurealign.eval.MetricsTable;
import featurealign.train.History;
import featurealign.train.RunConfig;
import featurealign.train.TinyRuns;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tech.tablesaw.api.Table;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** A walkthrough's held-out evaluations: logged while it trains, charted, and equal to its final metrics. */
class ExperimentQualityTest {

    @Test
    void evaluationsAreChartedAndTheMetricsTableIsTheLastOne(@TempDir Path dir) throws Exception {
        // Unconditioned; the squares are labelled, so the metrics train a judge (cached in the build folder, see pom.xml).
        RunConfig cfg = TinyRuns.tinyConfig(6, 4).withArchitecture(TinyRuns.TINY.withConditioning(0))
                .with("evalEvery", "3").with("evalImages", "10").with("sampleImages", "8");
        ImageSet train = TinyRuns.squares(32, 1), test = TinyRuns.squares(20, 2);
        Experiment e = Experiment.open(cfg, dir, train, test);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        e.train(new PrintStream(log, true), 6);
        assertTrue(log.toString().contains("held-out: PSNR"), log.toString());

        Table ev = e.trainer().history().evaluations();
        assertEquals(2, ev.rowCount(), "steps 3 and 6");
        assertTrue(ev.doubleColumn(History.TEST_SPREAD_GAN).isMissing(0), "no GAN samples before the GAN trained");
        assertFalse(ev.doubleColumn(History.TEST_SPREAD_GAN).isMissing(1));

        BufferedImage chart = e.qualityChart();
        assertTrue(chart.getHeight() >= 600, "PSNR and spread panels");
        assertTrue(Files.size(dir.resolve("quality.png")) > 1000);
        String csv = Files.readString(dir.resolve("history.csv"));
        assertTrue(csv.lines().findFirst().orElse("").contains(History.TEST_PSNR), "the saved history has the columns");

        MetricsTable m = e.metrics(new PrintStream(new ByteArrayOutputStream()));
        assertEquals(ev.doubleColumn(History.TEST_PSNR).getDouble(1), m.value("reconstruction PSNR"), 1e-9);
        assertEquals(ev.doubleColumn(History.TEST_MSE).getDouble(1), m.value("reconstruction MSE"), 1e-12);
        assertEquals(ev.doubleColumn(History.TEST_SPREAD_FA).getDouble(1), m.value("sample spread, FA samples"), 1e-12);
        assertEquals(ev.doubleColumn(History.TEST_SPREAD_GAN).getDouble(1), m.value("sample spread, GAN samples"), 1e-12);

        // Reopened from its checkpoint, the run keeps its evaluations and trains nothing more.
        Experiment again = Experiment.open(cfg, dir, train, test);
        again.train(new PrintStream(new ByteArrayOutputStream()), 6);
        assertEquals(2, again.trainer().history().evaluations().rowCount());
    }
}
