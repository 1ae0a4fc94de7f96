package featurealign.nn;

import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** A network declared in a second graph with declareShared sees in-place updates made to the first graph's arrays. */
class SharedNetworkTest {

    @Test
    void inPlaceUpdatesAreSeenByTheSharedGraph() {
        NetworkSpec spec = new NetworkSpec("net", Shape.image(2, 4, 4), List.of(new LayerSpec.Conv2d(2, 3, 3, 1, 1),
                new LayerSpec.BatchNorm(3), new LayerSpec.LeakyRelu(0.01), new LayerSpec.Flatten(), new LayerSpec.Dense(48, 5)));
        SameDiff a = SameDiff.create(), b = SameDiff.create();
        Network source = Network.declare(a, spec, DataType.DOUBLE);
        source.initialize(2);
        Network shared = Network.declareShared(b, source);
        INDArray x0 = Nd4j.rand(DataType.DOUBLE, 3, 2, 4, 4);
        SDVariable outA = source.forward(a.constant("x", x0), false).output();
        SDVariable outB = shared.forward(b.constant("x", x0), false).output();
        INDArray before = outB.eval().dup();
        assertEquals(0.0, outA.eval().sub(before).amaxNumber().doubleValue(), 1e-12);
        for (SDVariable v : source.parameters()) v.getArr().muli(1.5);               // as Adam does, in place
        source.runningStatistics(1).get(1).getArr().assign(4.0);                     // as the running update does
        INDArray after = outB.eval();
        assertTrue(after.sub(before).amaxNumber().doubleValue() > 1e-3, "the shared graph did not see the update");
        assertEquals(0.0, outA.eval().sub(after).amaxNumber().doubleValue(), 1e-12);
    }
}
