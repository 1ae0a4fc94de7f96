package featurealign.experiment;

import featurealign.data.ImageSet;
import featurealign.eval.MetricsTable;
import featurealign.train.Checkpoint;
import featurealign.train.RunConfig;
import featurealign.train.TinyRuns;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tech.tablesaw.api.Table;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Numbers over seeds: the aggregation, and the study end to end on tiny runs. */
class SeedStudyTest {

    static MetricsTable table(double psnr, double accuracy, String prior) {
        return new MetricsTable("t").add("sampling prior", Double.NaN, "", prior)
                .add("reconstruction PSNR", psnr, "dB", "first 100 test images")
                .add("judge accuracy, FA samples", accuracy, "fraction", "requested labels");
    }

    static SeedStudy.Row row(List<SeedStudy.Row> rows, String metric) {
        return rows.stream().filter(r -> r.metric().equals(metric)).findFirst().orElseThrow();
    }

    @Test
    void meanSampleSdMinMaxAndEachSeedsValue() {
        long[] seeds = {1, 2, 3};
        List<SeedStudy.Row> rows = SeedStudy.aggregate(seeds, List.of(table(16, 0.9, "STANDARD: x"),
                table(17, 0.8, "STANDARD: x"), table(18, 0.4, "STANDARD: x")));
        assertEquals(List.of("sampling prior", "reconstruction PSNR", "judge accuracy, FA samples"),
                rows.stream().map(SeedStudy.Row::metric).toList(), "the tables' order");
        SeedStudy.Row psnr = row(rows, "reconstruction PSNR");
        assertEquals(3, psnr.n());
        assertEquals(17, psnr.mean(), 1e-12);
        assertEquals(1, psnr.sd(), 1e-12, "sample sd: sqrt((1 + 0 + 1) / 2)");
        assertEquals(16, psnr.min());
        assertEquals(18, psnr.max());
        assertEquals("dB", psnr.unit());
        assertEquals("first 100 test images", psnr.note());
        SeedStudy.Row acc = row(rows, "judge accuracy, FA samples");
        assertEquals(0.7, acc.mean(), 1e-12);
        assertEquals(Math.sqrt((0.04 + 0.01 + 0.09) / 2), acc.sd(), 1e-12);
        SeedStudy.Row prior = row(rows, "sampling prior");
        assertEquals(0, prior.n(), "a text row has no numbers");
        assertTrue(Double.isNaN(prior.mean()) && Double.isNaN(prior.sd()));
        assertEquals("STANDARD: x", prior.note(), "the seeds agree on it");

        Table t = SeedStudy.toTable("title", seeds, rows);
        assertEquals(List.of("metric", "unit", "n", "mean", "sd", "min", "max", "seed-1", "seed-2", "seed-3", "note"), t.columnNames());
        assertEquals(18, t.doubleColumn("seed-3").getDouble(1));
    }

    @Test
    void aNaNInOneSeedIsLeftOutAndCountedAndOneSeedHasNoSd() {
        List<SeedStudy.Row> rows = SeedStudy.aggregate(new long[]{4, 5}, List.of(table(16, Double.NaN, "a"), table(18, 0.5, "b")));
        SeedStudy.Row acc = row(rows, "judge accuracy, FA samples");
        assertEquals(1, acc.n());
        assertEquals(0.5, acc.mean());
        assertTrue(Double.isNaN(acc.sd()), "no sd from one value");
        assertEquals("", row(rows, "sampling prior").note(), "notes that differ are left out");
        assertTrue(Double.isNaN(SeedStudy.aggregate(new long[]{1}, List.of(table(16, 1, "a"))).get(1).sd()));
    }

    @Test
    void tablesWithDifferentMetricsAreAnErrorNamingTheSeedAndTheMetric() {
        MetricsTable lacking = new MetricsTable("t").add("sampling prior", Double.NaN, "", "STANDARD")
                .add("reconstruction PSNR", 17, "dB", "");
        var e = assertThrows(IllegalArgumentException.class,
                () -> SeedStudy.aggregate(new long[]{1, 2}, List.of(table(16, 0.9, "s"), lacking)));
        assertTrue(e.getMessage().contains("seed 2 lacks [judge accuracy, FA samples]"), e.getMessage());
        MetricsTable otherUnit = new MetricsTable("t").add("sampling prior", Double.NaN, "", "")
                .add("reconstruction PSNR", 17, "ratio", "").add("judge accuracy, FA samples", 0.5, "fraction", "");
        var u = assertThrows(IllegalArgumentException.class,
                () -> SeedStudy.aggregate(new long[]{1, 2}, List.of(table(16, 0.9, "s"), otherUnit)));
        assertTrue(u.getMessage().contains("reconstruction PSNR") && u.getMessage().contains("seed 2"), u.getMessage());
        MetricsTable twice = table(1, 1, "s").add("reconstruction PSNR", 2, "dB", "");
        assertThrows(IllegalArgumentException.class, () -> SeedStudy.aggregate(new long[]{1}, List.of(twice)));
    }

    @Test
    void runsEachSeedInItsFolderResumesAndWritesTheSummary(@TempDir Path dir) throws Exception {
        RunConfig cfg = TinyRuns.tinyConfig(4, 2).withArchitecture(TinyRuns.TINY.withConditioning(0))
                .with("evalEvery", "2").with("evalImages", "10").with("sampleImages", "8").withSeed(7);
        Experiment.Data data = new Experiment.Data(TinyRuns.squares(32, 1), TinyRuns.squares(20, 2));
        ByteArrayOutputStream first = new ByteArrayOutputStream();
        Table summary = SeedStudy.run(cfg, 2, dir, data, new PrintStream(first, true));
        assertTrue(first.toString().contains("step 1/4"), first.toString());

        for (long s : new long[]{7, 8}) {
            Path run = dir.resolve("seeds").resolve("seed-" + s);
            assertEquals(s, RunConfig.fromProperties(Checkpoint.read(run.resolve("checkpoint.zip")).config()).seed());
            assertTrue(Files.isRegularFile(run.resolve("metrics.csv")));
        }
        MetricsTable m7 = MetricsTable.readCsv(dir.resolve("seeds/seed-7/metrics.csv"));
        MetricsTable m8 = MetricsTable.readCsv(dir.resolve("seeds/seed-8/metrics.csv"));
        assertNotEquals(m7.value("reconstruction MSE"), m8.value("reconstruction MSE"), "different seeds, different runs");
        String csv = Files.readString(dir.resolve(SeedStudy.CSV));
        assertTrue(csv.startsWith("metric,unit,n,mean,sd,min,max,seed-7,seed-8,note"), csv);
        int r = summary.stringColumn("metric").indexOf("reconstruction MSE");
        assertEquals((m7.value("reconstruction MSE") + m8.value("reconstruction MSE")) / 2, summary.doubleColumn("mean").getDouble(r), 1e-12);
        assertEquals(Math.abs(m7.value("reconstruction MSE") - m8.value("reconstruction MSE")) / Math.sqrt(2),
                summary.doubleColumn("sd").getDouble(r), 1e-12);

        // Again: the finished checkpoints are reused, not trained again.
        long before = Files.getLastModifiedTime(dir.resolve("seeds/seed-7/checkpoint.zip")).toMillis();
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        SeedStudy.run(cfg, 2, dir, data, new PrintStream(log, true));
        assertEquals(before, Files.getLastModifiedTime(dir.resolve("seeds/seed-7/checkpoint.zip")).toMillis());
        assertFalse(log.toString().contains("step 1/4"), log.toString());
    }

    @Test
    void aFailingSeedFailsTheStudyAndNoSummaryIsWritten(@TempDir Path dir) throws Exception {
        RunConfig cfg = TinyRuns.tinyConfig(2, 2).withArchitecture(TinyRuns.TINY.withConditioning(0))
                .with("evalEvery", "0").with("evalImages", "10").with("sampleImages", "8");
        Experiment.Data data = new Experiment.Data(TinyRuns.squares(16, 1), TinyRuns.squares(20, 2));
        // Seed 2's folder holds a run with other settings: opening it must fail.
        Experiment.open(cfg.withSeed(2).with("learningRate", "0.5"), SeedStudy.runDir(dir, 2), data.train(), data.test())
                .trainer().saveCheckpoint(SeedStudy.runDir(dir, 2).resolve("checkpoint.zip"));
        var e = assertThrows(IllegalStateException.class,
                () -> SeedStudy.run(cfg, 3, dir, data, new PrintStream(new ByteArrayOutputStream())));
        assertTrue(e.getMessage().contains("1 of 3 seeds failed") && e.getMessage().contains("seed 2"), e.getMessage());
        assertFalse(Files.exists(dir.resolve(SeedStudy.CSV)));
        assertTrue(Files.isRegularFile(SeedStudy.runDir(dir, 3).resolve("metrics.csv")), "the other seeds ran");
    }

    @Test
    void aHandMadeSeedsCsvIsNeverOverwritten(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve(SeedStudy.CSV), "impl,regime,seed,steps,mse\nkit,paper,1,469,0.06\n");
        var e = assertThrows(IllegalStateException.class, () -> SeedStudy.run(TinyRuns.tinyConfig(2, 2), 2, dir,
                new Experiment.Data(TinyRuns.squares(16, 1), TinyRuns.squares(20, 2)), new PrintStream(new ByteArrayOutputStream())));
        assertTrue(e.getMessage().contains("holds another table") && e.getMessage().contains("--out"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("seeds")), "checked before any training");
    }
}
