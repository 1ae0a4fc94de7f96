package featurealign.experiment;

import featurealign.data.ImageSet;
import featurealign.eval.Judge;
import featurealign.eval.JudgeConfig;
import featurealign.eval.MetricsTable;
import featurealign.train.Checkpoint;
import featurealign.train.FaTrainer;
import featurealign.train.History;
import featurealign.train.LatentPrior;
import featurealign.train.RunConfig;
import featurealign.train.RunConfig.SamplingPrior;
import featurealign.train.TinyRuns;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import tech.tablesaw.api.Table;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** sampling.prior in a walkthrough: the evaluations, the metrics and the prior comparison use the run's setting. */
class ExperimentPriorTest {

    static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream());

    /** Unconditioned (one Gaussian), so no judge is trained into the user's cache. */
    static RunConfig unconditioned(SamplingPrior prior) {
        return TinyRuns.tinyConfig(6, 4).withArchitecture(TinyRuns.TINY.withConditioning(0)).with("evalEvery", "3")
                .with("evalImages", "10").with("sampleImages", "8").withSamplingPrior(prior);
    }

    static double column(Table t, String column, String metric) {
        for (int r = 0; r < t.rowCount(); r++) if (t.stringColumn("metric").get(r).equals(metric)) return t.doubleColumn(column).getDouble(r);
        throw new AssertionError("no row " + metric + " in\n" + t.printAll());
    }

    static String note(MetricsTable t, String metric) {
        Table x = t.table();
        for (int r = 0; r < x.rowCount(); r++) if (x.stringColumn("metric").get(r).equals(metric)) return x.stringColumn("note").get(r);
        throw new AssertionError("no row " + metric);
    }

    @Test
    void theLastEvaluationTheMetricsAndTheComparisonUseTheSamePrior(@TempDir Path dir) throws Exception {
        ImageSet train = TinyRuns.squares(32, 1), test = TinyRuns.squares(20, 2);
        Experiment e = Experiment.open(unconditioned(SamplingPrior.CLASS_GAUSSIAN), dir, train, test);
        e.train(QUIET, 6);
        assertTrue(e.trainer().priorCurrent());
        assertTrue(Checkpoint.read(dir.resolve("checkpoint.zip")).arrays().containsKey(LatentPrior.MEAN));

        MetricsTable m = e.metrics(QUIET);
        Table ev = e.trainer().history().evaluations();
        assertEquals(ev.doubleColumn(History.TEST_SPREAD_FA).getDouble(1), m.value("sample spread, FA samples"), 0.0);
        assertEquals(ev.doubleColumn(History.TEST_SPREAD_GAN).getDouble(1), m.value("sample spread, GAN samples"), 0.0);
        assertTrue(Double.isNaN(m.value("sampling prior")));
        assertTrue(note(m, "sampling prior").startsWith("CLASS_GAUSSIAN: "), note(m, "sampling prior"));

        Experiment.PriorComparison c = e.priorComparison(3, QUIET);
        assertEquals(m.value("sample spread, FA samples"), column(c.numbers(), "CLASS_GAUSSIAN", "sample spread, FA samples"), 0.0);
        assertNotEquals(column(c.numbers(), "STANDARD", "sample spread, FA samples"),
                column(c.numbers(), "CLASS_GAUSSIAN", "sample spread, FA samples"));
        assertTrue(Files.size(dir.resolve("prior_comparison.png")) > 500);
        assertTrue(Files.readString(dir.resolve("prior_comparison.csv")).startsWith("metric,STANDARD,CLASS_GAUSSIAN,unit,note"));
        assertTrue(c.figure().getWidth() > 2 * 3 * 8 * 2, "two grids of 3 columns of 8×8 images at scale 2, side by side");
        assertTrue(c.toString().contains("CLASS_GAUSSIAN: 1 Gaussian fitted to the posterior means of 32 training images"), c.toString());
        assertFalse(c.toString().contains("per-pixel std"), "notes stay in the table and the CSV");
    }

    @Test
    void aFinishedStandardRunSwitchesToTheClassGaussianWithoutTraining(@TempDir Path dir) throws Exception {
        ImageSet train = TinyRuns.squares(32, 3), test = TinyRuns.squares(20, 4);
        Experiment standard = Experiment.open(unconditioned(SamplingPrior.STANDARD), dir, train, test);
        standard.train(QUIET, 6);
        MetricsTable ms = standard.metrics(QUIET);
        assertTrue(note(ms, "sampling prior").startsWith("STANDARD"));
        assertFalse(Checkpoint.read(dir.resolve("checkpoint.zip")).arrays().containsKey(LatentPrior.MEAN));
        var params = standard.model().encoderParameters().get("encoder_logvar/0/b").dup();

        Experiment switched = Experiment.open(unconditioned(SamplingPrior.CLASS_GAUSSIAN), dir, train, test);
        assertTrue(switched.trainer().priorCurrent(), "fitted when opened");
        assertTrue(Checkpoint.read(dir.resolve("checkpoint.zip")).arrays().containsKey(LatentPrior.MEAN), "and saved with the run");
        switched.train(QUIET, 6);
        assertEquals(6, switched.trainer().step());
        assertEquals(params, switched.model().encoderParameters().get("encoder_logvar/0/b"), "no training");
        MetricsTable mg = switched.metrics(QUIET);
        assertNotEquals(ms.value("sample spread, FA samples"), mg.value("sample spread, FA samples"));
        assertEquals(ms.value("reconstruction PSNR"), mg.value("reconstruction PSNR"), 0.0);
        Experiment.PriorComparison c = switched.priorComparison(2, QUIET);
        assertEquals(ms.value("sample spread, FA samples"), column(c.numbers(), "STANDARD", "sample spread, FA samples"), 0.0);

        // And back: the STANDARD samples are the ones it had.
        Experiment back = Experiment.open(unconditioned(SamplingPrior.STANDARD), dir, train, test);
        assertEquals(ms.value("sample spread, FA samples"), back.metrics(QUIET).value("sample spread, FA samples"), 0.0);
    }

    @Test
    void evaluationsDuringTrainingFitAPriorToTheCurrentEncoderAndLeaveTheModelsAlone() throws Exception {
        ImageSet train = TinyRuns.squares(48, 5), test = TinyRuns.squares(30, 6);
        RunConfig cfg = TinyRuns.tinyConfig(6, 3).with("evalImages", "12").with("sampleImages", "10")
                .withSamplingPrior(SamplingPrior.CLASS_GAUSSIAN);
        FaTrainer t = new FaTrainer(cfg, train);
        t.train(4);
        Judge judge = Judge.train(train.toNCHW(train.allIndices(), DataType.FLOAT), Judge.labelsOf(train), 3,
                JudgeConfig.defaults().withEpochs(1).withBatchSize(8), null);
        HeldOutEvaluation h = new HeldOutEvaluation(cfg, test, judge, t.data());
        Map<String, Double> v = h.evaluate(t.model(), t.step());
        assertNull(t.model().prior(), "the evaluation's prior is its own");
        LatentPrior now = LatentPrior.fit(t.model(), train, cfg.fitImages());
        var s = HeldOutEvaluation.samples(t.model(), 10, now);
        int[] asked = HeldOutEvaluation.sampleLabels(cfg, 10);
        assertEquals(judge.accuracy(s.featureAlignment(), asked), v.get(History.TEST_JUDGE_FA));
        assertEquals(judge.accuracy(s.refined(), asked), v.get(History.TEST_JUDGE_GAN));
        double spread = featurealign.eval.ImageMetrics.spread(s.featureAlignment()) / h.realSpread();
        assertEquals(spread, v.get(History.TEST_SPREAD_FA), 0.0);
        var fromStandard = HeldOutEvaluation.samples(t.model(), 10, null);
        assertNotEquals(featurealign.eval.ImageMetrics.spread(fromStandard.featureAlignment()) / h.realSpread(), spread);
        var err = assertThrows(IllegalArgumentException.class, () -> new HeldOutEvaluation(cfg, test, judge));
        assertTrue(err.getMessage().contains("CLASS_GAUSSIAN"), err.getMessage());
    }
}
