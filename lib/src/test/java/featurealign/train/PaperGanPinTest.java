package featurealign.train;

import featurealign.data.ImageSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Pins the reference GAN iteration (docs/method.md §4, §5) to the last bit: a tiny paper-profile model trained for three
 * iterations on synthetic squares must report the very losses that the code before issue 18 (the GAN steps' own classes
 * and the refiner's settings) reported. The constants below were printed by this test run on the unmodified branch
 * {@code gan-refiner} at 4155ea7, before any refactoring; a change to the GAN steps that alters one bit fails here.
 */
class PaperGanPinTest {

    // Printed by the code before issue 18 (commit 4155ea7), see the class comment.
    static final double[] DOUBLE_PAPER = {22.75613321869463, 22.54192943606199, 0.21420378263263887, 1.3771092708298838,
            1.3524221240526544, 2.752988382207089, 23.21863034081603, 22.864897604404486, 0.3537327364115458,
            1.366383207591721, 1.3577624513412063, 2.766026002887521, 23.357978687163534, 23.02678549972033,
            0.331193187443206, 1.3572074536841883, 1.354495186932323, 2.767112134642738};
    static final double[] FLOAT_PAPER = {22.756122589111328, 22.541919708251953, 0.21420376002788544, 1.3771092891693115,
            1.3524222373962402, 2.752988338470459, 23.218631744384766, 22.864898681640625, 0.35373249650001526,
            1.3663833141326904, 1.3577625751495361, 2.766026020050049, 23.357973098754883, 23.026779174804688,
            0.331193208694458, 1.3572074174880981, 1.3544950485229492, 2.7671122550964355};
    /** The same with the perceptual term on (P = 0.5, not the reference's 0), which the refactoring also moves. */
    static final double[] DOUBLE_PERCEPTUAL = {22.75613321869463, 22.54192943606199, 0.21420378263263887,
            1.3965954905072941, 1.3524221240526544, 2.7529974253441343, 23.21863034081603, 22.864897604404486,
            0.3537327364115458, 1.3864127138627487, 1.3577624394455938, 2.7660184261119607, 23.357978687163534,
            23.02678549972033, 0.331193187443206, 1.381800305356925, 1.3544951624801835, 2.767076907996071};

    /** The paper profile for MNIST with a tiny architecture (1×8×8, one stage of 4, h 16, Z 4, G width 4), batch 4. */
    static RunConfig tinyPaper(String dataType, double perceptualWeight) {
        return RunConfig.profile("paper", "mnist").with("architecture.image", "1,8,8")
                .with("architecture.stageWidths", "4").with("architecture.hidden", "16")
                .with("architecture.latent", "4").with("architecture.generatorWidth", "4").with("batchSize", "4")
                .with("dataType", dataType).with("perceptualWeight", Double.toString(perceptualWeight));
    }

    /** The losses of three iterations: per step encoder, RL, Σβ·KL, L_G, L_Dr, L_Df. */
    static double[] threeIterations(RunConfig cfg) {
        FaModel m = new FaModel(cfg);
        ImageSet data = TinyRuns.squares(12, 17);
        Noise noise = new Noise(cfg.seed());
        double[] out = new double[18];
        for (int s = 0; s < 3; s++) {
            int[] idx = {4 * s, 4 * s + 1, 4 * s + 2, 4 * s + 3};
            INDArray x = data.toNCHW(idx, cfg.dataType());
            INDArray y = data.labelsOneHot(idx, 10, cfg.dataType());
            FaModel.StepLosses l = m.trainStep(x, y, true, noise, s + 1);
            double[] v = {l.encoderLoss(), l.reconstructionLoss(), l.klWeighted(), l.generatorLoss(),
                    l.discriminatorReal(), l.discriminatorFake()};
            System.arraycopy(v, 0, out, 6 * s, 6);
        }
        return out;
    }

    @ParameterizedTest(name = "{0}, P={1}")
    @CsvSource({"DOUBLE, 0.0", "FLOAT, 0.0", "DOUBLE, 0.5"})
    void theReferenceGanIterationIsUnchanged(String dataType, double perceptualWeight) {
        double[] got = threeIterations(tinyPaper(dataType, perceptualWeight));
        double[] want = switch (dataType + " " + perceptualWeight) {
            case "DOUBLE 0.0" -> DOUBLE_PAPER;
            case "FLOAT 0.0" -> FLOAT_PAPER;
            case "DOUBLE 0.5" -> DOUBLE_PERCEPTUAL;
            default -> throw new AssertionError("no pinned values for " + dataType + ", P = " + perceptualWeight);
        };
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 0.0, "step " + (i / 6 + 1) + " loss " + (i % 6));
        }
    }
}
