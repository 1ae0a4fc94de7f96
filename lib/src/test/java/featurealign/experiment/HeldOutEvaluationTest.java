package featurealign.experiment;

import featurealign.data.ImageSet;
import featurealign.eval.ImageMetrics;
import featurealign.eval.Judge;
import featurealign.eval.JudgeConfig;
import featurealign.train.FaTrainer;
import featurealign.train.History;
import featurealign.train.RunConfig;
import featurealign.train.TinyRuns;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The held-out numbers a run logs while it trains: what they measure, and that they are reproducible. */
class HeldOutEvaluationTest {

    @Test
    void measuresReconstructionsAndSamplesTheSameWayEveryTime() throws Exception {
        ImageSet train = TinyRuns.squares(48, 1), test = TinyRuns.squares(30, 2);
        RunConfig cfg = TinyRuns.tinyConfig(6, 3).with("evalImages", "12").with("sampleImages", "10");
        FaTrainer t = new FaTrainer(cfg, train);
        t.train();
        Judge judge = Judge.train(train.toNCHW(train.allIndices(), DataType.FLOAT), Judge.labelsOf(train), 3,
                JudgeConfig.defaults().withEpochs(2).withBatchSize(8), null);
        HeldOutEvaluation h = new HeldOutEvaluation(cfg, test, judge);
        assertEquals(12, h.imageCount());
        assertEquals(10, h.sampleCount());

        Map<String, Double> v = h.evaluate(t.model(), t.step());
        assertEquals(v, h.evaluate(t.model(), t.step()), "its own noise streams: the same numbers every time");
        INDArray x = h.images();
        INDArray rec = h.reconstructions(t.model(), x, h.condition());
        double mse = ImageMetrics.meanMse(rec, x);
        assertEquals(mse, v.get(History.TEST_MSE), 1e-12);
        assertEquals(ImageMetrics.psnrFromMse(mse), v.get(History.TEST_PSNR), 1e-9);
        assertEquals(judge.accuracy(rec, Arrays.copyOf(Judge.labelsOf(test), 12)), v.get(History.TEST_JUDGE_RECONSTRUCTIONS));
        var s = HeldOutEvaluation.samples(t.model(), 10);
        int[] asked = HeldOutEvaluation.sampleLabels(cfg, 10);
        assertArrayEquals(new int[]{0, 1, 2, 0, 1, 2, 0, 1, 2, 0}, asked);
        assertEquals(judge.accuracy(s.featureAlignment(), asked), v.get(History.TEST_JUDGE_FA));
        assertEquals(judge.accuracy(s.refined(), asked), v.get(History.TEST_JUDGE_GAN), "the GAN trained from step 4");
        assertEquals(ImageMetrics.spread(s.featureAlignment()) / h.realSpread(), v.get(History.TEST_SPREAD_FA), 1e-12);
        for (double d : v.values()) assertTrue(Double.isFinite(d), v.toString());
    }

    @Test
    void withoutAJudgeOrBeforeTheGanOnlyWhatAppliesIsReported() throws Exception {
        ImageSet train = TinyRuns.squares(24, 3), test = TinyRuns.squares(20, 4);
        RunConfig cfg = TinyRuns.tinyConfig(2, 5);
        FaTrainer t = new FaTrainer(cfg, train);
        t.train();
        Map<String, Double> v = new HeldOutEvaluation(cfg, test, null).evaluate(t.model(), t.step());
        assertEquals(List.of(History.TEST_MSE, History.TEST_PSNR, History.TEST_SPREAD_FA), List.copyOf(v.keySet()));
    }
}
