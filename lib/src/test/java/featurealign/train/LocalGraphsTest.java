package featurealign.train;

import featurealign.runtime.NativeMemory;

import featurealign.nn.LayerSpec.*;
import featurealign.nn.Network;
import featurealign.nn.NetworkSpec;
import featurealign.nn.Shape;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** After each call the session holds nothing; results, inputs and parameters survive, also across later calls. */
class LocalGraphsTest {

    @Test
    void aFinishedCallLeavesNoArraysInTheSessionAndItsResultsStayValid() {
        SameDiff sd = SameDiff.create();
        NetworkSpec spec = new NetworkSpec("net", Shape.vector(5), List.of(new Dense(5, 4), new Asinh(), new Dense(4, 3)));
        Network net = LocalGraphs.declareModule(sd, spec, 0, DataType.DOUBLE); // names as the whole network's
        assertEquals(List.of("net/0/W", "net/0/b"), net.parameterNames());
        net.initialize(1);
        SDVariable x = sd.placeHolder("x", DataType.DOUBLE, -1, 5);
        SDVariable y = sd.math().asinh(net.forward(x, true).output());
        y.rename("y");
        y.mul(y).sum().rename("loss");
        sd.setLossVariables("loss");
        INDArray w = net.parameters().get(0).getArr();
        INDArray in = Nd4j.rand(DataType.DOUBLE, 3, 5);

        NativeMemory memory = NativeMemory.withDefaults();
        OutAndGrad first = memory.gradientsAndOutputs(sd, Map.of("x", in), List.of("y", "loss"), List.of("net/0/W"));
        INDArray firstY = first.getOutputs().get("y").dup();
        var session = sd.getFunction("grad").getSessions().get(Thread.currentThread().getId());
        assertTrue(session.getNodeValueOutputs().isEmpty(), "graph state left in the session");
        Map<String, INDArray> second = memory.outputs(sd, Map.of("x", in), "y");
        assertTrue(sd.getSessions().get(Thread.currentThread().getId()).getNodeValueOutputs().isEmpty());
        memory.gradientsAndOutputs(sd, Map.of("x", in), List.of("y", "loss"), List.of("net/0/W"));
        // Results of earlier calls, the fed input and the parameters are untouched by later releases.
        for (INDArray a : List.of(first.getOutputs().get("y"), first.getGradients().get("net/0/W"), second.get("y"), in, w)) {
            assertFalse(a.wasClosed());
        }
        assertEquals(firstY, first.getOutputs().get("y"));
        assertEquals(firstY, second.get("y"));
    }
}
