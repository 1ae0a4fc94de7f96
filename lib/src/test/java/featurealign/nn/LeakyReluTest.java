package featurealign.nn;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The leaky ReLU layer, its backward and its transpose are PyTorch's to the last bit in float32 and float64:
 * {@code y = x > 0 ? x : slope·x}, {@code dx = x > 0 ? g : slope·g}, at x = ±0 too (M2.1's native {@code lrelu_bp}
 * passes g whole at 0).
 */
class LeakyReluTest {

    @ParameterizedTest(name = "slope {0}, {1}")
    @CsvSource({"0.01, FLOAT", "0.2, FLOAT", "0.3, FLOAT", "0.01, DOUBLE", "0.3, DOUBLE"})
    void forwardBackwardAndTransposeAreExact(double slope, DataType type) {
        Shape shape = Shape.image(3, 5, 5);
        int batch = 4;
        SameDiff sd = SameDiff.create();
        Network net = Network.declare(sd, new NetworkSpec("net", shape, List.of(new LayerSpec.LeakyRelu(slope))), type);
        Nd4j.getRandom().setSeed(3);
        INDArray x0 = Nd4j.randn(type, shape.withBatch(batch));
        x0.putScalar(0, 0.0);
        x0.putScalar(1, -0.0);
        x0.putScalar(2, 0.0);
        INDArray g0 = Nd4j.randn(type, shape.withBatch(batch));
        SDVariable x = sd.var("x", x0);
        SDVariable g = sd.constant("g", g0);
        Network.Pass pass = net.forward(x, true);
        pass.output().rename("y");
        pass.output().mul(g).sum().rename("loss");
        sd.setLossVariables("loss");
        net.transpose(pass, g).rename("transposed");

        Map<String, INDArray> out = sd.output(Map.of(), "y", "transposed");
        INDArray dx = sd.calculateGradients(Map.of(), "x").get("x");
        INDArray transposed = out.get("transposed");
        assertEquals(0.0, x0.getDouble(0)); // the zeros survived the test's set-up
        for (int i = 0; i < x0.length(); i++) {
            double xi = x0.getDouble(i), gi = g0.getDouble(i);
            double y = type == DataType.FLOAT ? (xi > 0 ? xi : (float) slope * (float) xi) : (xi > 0 ? xi : slope * xi);
            double d = type == DataType.FLOAT ? (xi > 0 ? gi : (float) slope * (float) gi) : (xi > 0 ? gi : slope * gi);
            assertBits(y, out.get("y").getDouble(i), "y", i, xi);
            assertBits(d, dx.getDouble(i), "dx", i, xi);
            assertBits(d, transposed.getDouble(i), "transpose", i, xi);
        }
    }

    private static void assertBits(double expected, double actual, String what, int i, double x) {
        assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(actual),
                () -> what + "[" + i + "] at x = " + x + ": expected " + expected + ", got " + actual);
    }
}
