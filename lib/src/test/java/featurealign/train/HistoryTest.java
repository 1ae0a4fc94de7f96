package featurealign.train;

import org.junit.jupiter.api.Test;
import tech.tablesaw.api.Table;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The history's held-out columns: recorded on their step's row, read back, and absent from older histories. */
class HistoryTest {

    private static FaModel.StepLosses losses(double rl) {
        return new FaModel.StepLosses(rl + 1, rl, 1, Double.NaN, Double.NaN, Double.NaN);
    }

    @Test
    void evaluationsGoOnTheirStepsRowAndRoundTripThroughCsv() {
        History h = new History();
        for (int s = 1; s <= 5; s++) {
            h.add(s, 0, losses(100 - s), 30.0);
            if (s % 2 == 0) h.addEvaluation(s, Map.of(History.TEST_PSNR, 10.0 + s, History.TEST_MSE, 0.1 / s,
                    History.TEST_JUDGE_GAN, Double.NaN));
        }
        Table e = h.evaluationsWithTime();
        assertEquals(2, e.rowCount());
        assertEquals(2, e.intColumn(History.STEP).getInt(0));
        assertEquals(14.0, e.doubleColumn(History.TEST_PSNR).getDouble(1));
        assertEquals(1.0, e.doubleColumn(History.TRAINING_MINUTES).getDouble(0), 1e-12, "2 steps of 30 s");
        assertEquals(2.0, e.doubleColumn(History.TRAINING_MINUTES).getDouble(1), 1e-12);
        assertTrue(e.doubleColumn(History.TEST_JUDGE_GAN).isMissing(0), "NaN stays missing");

        History back = History.fromCsv(h.toCsv(), "test");
        assertEquals(h.toCsv(), back.toCsv());
        assertEquals(2, back.evaluations().rowCount());
        assertEquals(0.025, back.evaluations().doubleColumn(History.TEST_MSE).getDouble(1), 1e-15);
    }

    @Test
    void anEvaluationMustFollowItsStepAndNameAKnownColumn() {
        History h = new History();
        assertThrows(IllegalStateException.class, () -> h.addEvaluation(1, Map.of(History.TEST_PSNR, 1.0)));
        h.add(1, 0, losses(5), 0.1);
        var wrongStep = assertThrows(IllegalStateException.class, () -> h.addEvaluation(2, Map.of(History.TEST_PSNR, 1.0)));
        assertTrue(wrongStep.getMessage().contains("step 2"), wrongStep.getMessage());
        var unknown = assertThrows(IllegalArgumentException.class, () -> h.addEvaluation(1, Map.of("fid", 1.0)));
        assertTrue(unknown.getMessage().contains("'fid'") && unknown.getMessage().contains(History.TEST_PSNR), unknown.getMessage());
    }

    @Test
    void historiesWrittenBeforeTheHeldOutColumnsGainEmptyOnes() {
        String old = "step,epoch,encoder_loss,reconstruction_loss,kl_weighted,generator_loss,discriminator_real,discriminator_fake,seconds\n"
                + "1,0,11.5,10.5,1.0,,,,0.3\n2,0,10.5,9.5,1.0,4.0,2.0,1.0,0.4\n";
        History h = History.fromCsv(old, "old.csv");
        assertEquals(2, h.size());
        assertEquals(9.5, h.table().doubleColumn(History.RECONSTRUCTION).getDouble(1));
        assertEquals(0, h.evaluations().rowCount());
        for (String c : History.HELD_OUT) assertEquals(2, h.table().doubleColumn(c).countMissing(), c);
        h.add(3, 0, losses(8), 0.5);
        h.addEvaluation(3, Map.of(History.TEST_PSNR, 12.0));
        assertEquals(1, History.fromCsv(h.toCsv(), "new").evaluations().rowCount());

        var bad = assertThrows(IllegalArgumentException.class, () -> History.fromCsv("step,loss\n1,2\n", "bad.csv"));
        assertTrue(bad.getMessage().contains("bad.csv"), bad.getMessage());
    }
}
