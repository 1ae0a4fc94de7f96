package featurealign.nn;

import featurealign.nn.LayerSpec.*;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each layer's hand-built transpose equals SameDiff's own first-order input gradient, in float64. */
class LayerTransposeTest {

    static Stream<Arguments> layers() {
        return Stream.of(
                Arguments.of(new Conv2d(2, 3, 3, 1, 1), Shape.image(2, 28, 28)),
                Arguments.of(new Conv2d(2, 3, 3, 2, 1), Shape.image(2, 28, 28)),
                Arguments.of(new Conv2d(3, 2, 3, 2, 1), Shape.image(3, 14, 14)),
                Arguments.of(new Conv2d(2, 2, 3, 2, 1), Shape.image(2, 7, 7)),   // odd size: 7 -> 4
                Arguments.of(new Conv2d(2, 3, 3, 2, 1), Shape.image(2, 8, 8)),   // 8 -> 4, one input row unused? no: 8+2-3=7
                Arguments.of(new Conv2d(2, 2, 4, 2, 0), Shape.image(2, 9, 9)),   // last input row never reached: zero pad
                Arguments.of(new Conv2d(4, 3, 9, 1, 4), Shape.image(4, 12, 12)),
                Arguments.of(new Dense(7, 5), Shape.vector(7)),
                Arguments.of(new LeakyRelu(0.01), Shape.image(2, 5, 5)),
                Arguments.of(new LeakyRelu(0.2), Shape.vector(9)),
                Arguments.of(new Asinh(), Shape.image(2, 4, 4)),
                Arguments.of(new Sigmoid(), Shape.vector(6)),
                Arguments.of(new Tanh(), Shape.image(1, 3, 5)),
                Arguments.of(new Flatten(), Shape.image(2, 3, 4)),
                Arguments.of(new Reshape(Shape.image(1, 4, 6)), Shape.vector(24)));
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("layers")
    void transposeEqualsAutodiffInputGradient(LayerSpec layer, Shape input) {
        int batch = 3;
        SameDiff sd = SameDiff.create();
        Network net = Network.declare(sd, new NetworkSpec("net", input, java.util.List.of(layer)), DataType.DOUBLE);
        net.initialize(11);
        Nd4j.getRandom().setSeed(5);
        // Inputs straddle zero so leaky-ReLU masks take both values.
        INDArray x0 = Nd4j.randn(DataType.DOUBLE, input.withBatch(batch));
        SDVariable x = sd.var("x", x0);
        Network.Pass pass = net.forward(x, true);
        INDArray c0 = Nd4j.randn(DataType.DOUBLE, layer.outputShape(input).withBatch(batch));
        SDVariable c = sd.constant("c", c0);
        SDVariable loss = pass.output().mul(c).sum();
        loss.rename("loss");
        sd.setLossVariables("loss");
        SDVariable transposed = net.transpose(pass, c);

        INDArray autodiff = sd.calculateGradients(Map.of(), "x").get("x");
        INDArray mine = transposed.eval();
        double rel = relativeError(mine, autodiff);
        assertTrue(rel <= 1e-9, layer + ": relative error " + rel);
        assertTrue(autodiff.norm2Number().doubleValue() > 0, "degenerate test: zero gradient");
    }

    static double relativeError(INDArray a, INDArray b) {
        if (!java.util.Arrays.equals(a.shape(), b.shape())) {
            throw new AssertionError("shapes differ: " + java.util.Arrays.toString(a.shape()) + " vs "
                    + java.util.Arrays.toString(b.shape()));
        }
        double diff = a.sub(b).norm2Number().doubleValue();
        double scale = Math.max(b.norm2Number().doubleValue(), 1e-300);
        return diff / scale;
    }
}
