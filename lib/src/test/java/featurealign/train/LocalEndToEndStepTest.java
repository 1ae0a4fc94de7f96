package featurealign.train;

import featurealign.GradientCheck;

import featurealign.nn.LayerSpec.*;
import featurealign.nn.NetworkSpec;
import featurealign.nn.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Map;
import java.util.Random;

import static featurealign.train.LocalTestNets.*;
import static org.junit.jupiter.api.Assertions.*;

/** The end-to-end baseline of the memory comparison: its gradient, its agreement with local training on one module. */
class LocalEndToEndStepTest {

    @ParameterizedTest(name = "T={0}, eta={1}")
    @CsvSource({"1, 1.0", "2, 0.5"})
    void gradientsMatchCentralFiniteDifferences(int steps, double eta) {
        LocalEndToEndStep e2e = new LocalEndToEndStep(twoStage(), DataType.DOUBLE, 5, steps, eta, LocalTraining.referenceAdam());
        Nd4j.getRandom().setSeed(5);
        for (INDArray p : e2e.parameters().values()) p.muli(1.3).addi(Nd4j.randn(DataType.DOUBLE, p.shape()).muli(0.2));
        INDArray x = uniformImages(8, DataType.DOUBLE, 3, 1, 8, 8);
        Map<String, INDArray> grads = e2e.lossAndGradients(x).getGradients();
        // The floor scales with the loss: central differences carry noise of about ε·L/h.
        GradientCheck check = new GradientCheck(1e-6, new Random(1), loss -> 1e-3 * Math.max(1, loss));
        for (String name : e2e.parameters().keySet()) {
            check.check(name, e2e.parameters().get(name), grads.get(name), () -> loss(e2e, x));
        }
        double overall = check.overall(), worst = check.worst();
        String worstAt = check.worstAt();
        System.out.printf("end-to-end gradient vs central FD (T=%d, eta=%.1f): relative error %.2e, worst %.2e at %s%n",
                steps, eta, overall, worst, worstAt);
        assertTrue(overall < 1e-6, "overall relative error " + overall);
        assertTrue(worst < 1e-4, "worst " + worst + " at " + worstAt);
    }

    static double loss(LocalEndToEndStep e2e, INDArray x) {
        return e2e.loss(x);
    }

    /** With a single module the whole network is that module, so both regimes compute the same loss and gradients. */
    @ParameterizedTest(name = "T={0}")
    @CsvSource({"1", "2"})
    void onASingleModuleNetworkItEqualsLocalTraining(int steps) {
        NetworkSpec one = new NetworkSpec("one", Shape.image(2, 6, 6), List.of(new Conv2d(2, 3, 3, 2, 1)));
        LocalEndToEndStep e2e = new LocalEndToEndStep(one, DataType.DOUBLE, 3, steps, 0.7, LocalTraining.referenceAdam());
        LocalTraining local = LocalTraining.builder(one).dataType(DataType.DOUBLE).seed(3).alignmentSteps(steps)
                .stepSize(0.7).build();
        for (String name : e2e.parameters().keySet()) {
            assertTrue(identical(e2e.parameters().get(name), local.parameters().get(name)), "same init: " + name);
        }
        INDArray x = uniformImages(2, DataType.DOUBLE, 4, 2, 6, 6);
        OutAndGrad a = e2e.lossAndGradients(x), b = local.lossAndGradients(0, x);
        assertEquals(b.getOutputs().get("loss").getDouble(0), a.getOutputs().get("loss").getDouble(0), 1e-12);
        INDArray localW = b.getGradients().get("one/0/W");
        assertTrue(relativeError(a.getGradients().get("one/0/W"), localW) < 1e-12, "weight gradient");
        // Local training uses the exact zero for the bias; autodiff's is rounding noise around it.
        assertEquals(0.0, b.getGradients().get("one/0/b").amaxNumber().doubleValue());
        assertTrue(a.getGradients().get("one/0/b").norm2Number().doubleValue() < 1e-12 * localW.norm2Number().doubleValue());
    }

    @Test
    void aStepUpdatesEveryWeightAndRejectsBadInput() {
        LocalEndToEndStep e2e = new LocalEndToEndStep(twoStage(), DataType.FLOAT, 1, 1, 1.0, LocalTraining.referenceAdam());
        Map<String, INDArray> before = new java.util.HashMap<>();
        e2e.parameters().forEach((k, v) -> before.put(k, v.dup()));
        double loss = e2e.run(uniformImages(1, DataType.FLOAT, 3, 1, 8, 8)).total();
        assertTrue(loss > 0 && Double.isFinite(loss));
        for (String name : before.keySet()) {
            if (name.endsWith("/W")) assertFalse(identical(before.get(name), e2e.parameters().get(name)), name);
        }
        assertMessage(() -> e2e.run(Nd4j.zeros(DataType.FLOAT, 3, 8, 8)),
                "images", "[batch,1,8,8]");
        assertMessage(() -> new LocalEndToEndStep(twoStage(), DataType.FLOAT, 1, 0, 1.0, LocalTraining.referenceAdam()), "alignment steps T must be >= 1");
    }
}
