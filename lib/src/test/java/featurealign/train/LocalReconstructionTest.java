package featurealign.train;

import featurealign.align.AlignmentOptions.Squash;
import featurealign.nn.LayerSpec;
import featurealign.nn.LayerSpec.*;
import featurealign.nn.Network;
import featurealign.nn.NetworkSpec;
import featurealign.nn.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static featurealign.train.LocalTestNets.*;
import static org.junit.jupiter.api.Assertions.*;

/** Local reconstruction: the per-module step equals its gradient-step definition; asinh and orthogonal nets invert exactly. */
class LocalReconstructionTest {

    static Map<String, INDArray> initialParameters(NetworkSpec spec, long seed) {
        return LocalTraining.builder(spec).dataType(DataType.DOUBLE).seed(seed).build().parameters();
    }

    static Stream<Arguments> modules() {
        return Stream.of(
                Arguments.of(new Conv2d(2, 3, 3, 1, 1), Shape.image(2, 6, 6)),
                Arguments.of(new Conv2d(2, 3, 3, 2, 1), Shape.image(2, 8, 8)),
                Arguments.of(new Conv2d(3, 2, 3, 2, 1), Shape.image(3, 7, 7)),
                Arguments.of(new Dense(12, 5), Shape.vector(12)),
                Arguments.of(new Dense(5, 12), Shape.vector(5)),
                Arguments.of(new Asinh(), Shape.image(2, 3, 3)),
                Arguments.of(new Flatten(), Shape.image(2, 3, 3)));
    }

    /**
     * Decoding one module equals the reference's definition: u = 0, one step u ← u − ∇_u ½‖x − m(u)‖² with SameDiff's
     * own autodiff (no hand-built transpose), then sinh for asinh modules.
     */
    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("modules")
    void moduleInverseEqualsTheGradientStepDefinition(LayerSpec layer, Shape input) {
        NetworkSpec spec = new NetworkSpec("one", input, List.of(layer));
        Map<String, INDArray> params = initialParameters(spec, 3);
        // Non-zero biases large enough that forgetting to subtract them would show.
        params.forEach((k, v) -> { if (k.endsWith("/b")) v.addi(0.5); });
        LocalReconstruction rec = new LocalReconstruction(spec, params, DataType.DOUBLE, Squash.NONE);
        Nd4j.getRandom().setSeed(9);
        INDArray code = Nd4j.randn(DataType.DOUBLE, spec.output().withBatch(4));
        INDArray mine = rec.decode(code);

        SameDiff sd = SameDiff.create();
        Network net = copyOf(sd, spec, params, DataType.DOUBLE);
        SDVariable u = sd.var("u", Nd4j.zeros(DataType.DOUBLE, input.withBatch(4)));
        SDVariable d = sd.constant("code", code).sub(net.forward(u, false).output());
        d.mul(d).sum().mul(0.5).rename("cost");
        sd.setLossVariables("cost");
        INDArray step = sd.calculateGradients(Map.of(), "u").get("u").neg();
        INDArray reference = layer instanceof Asinh ? Transforms.sinh(step, true) : step;
        assertArrayEquals(input.withBatch(4), mine.shape());
        double rel = relativeError(mine, reference);
        assertTrue(rel < 1e-12, layer + ": relative error " + rel);

        if (layer instanceof Dense) {
            // Affine: the step is Wᵀ(x − b), written for row vectors as (x − b)·Wᵀ.
            INDArray w = params.get("one/0/W"), b = params.get("one/0/b");
            INDArray direct = code.subRowVector(b).mmul(w.transpose());
            assertTrue(relativeError(mine, direct) < 1e-12, "Wᵀ(x − b)");
        }
    }

    @Test
    void anAsinhOnlyChainIsInvertedExactlyBySinhWithoutClamping() {
        NetworkSpec spec = new NetworkSpec("asinh", Shape.image(2, 3, 4), List.of(new Asinh(), new Asinh(),
                new Flatten(), new Asinh(), new Reshape(Shape.image(2, 3, 4)), new Asinh()));
        LocalReconstruction rec = new LocalReconstruction(spec, Map.of(), DataType.DOUBLE, Squash.NONE);
        Nd4j.getRandom().setSeed(4);
        // Values outside [0.01, 0.99], including exact 0 and 1: a clamp would change them.
        INDArray x = Nd4j.randn(DataType.DOUBLE, 5, 2, 3, 4).muli(3);
        x.putScalar(new long[]{0, 0, 0, 0}, 0.0);
        x.putScalar(new long[]{0, 0, 0, 1}, 1.0);
        INDArray back = rec.reconstruct(x);
        double maxAbs = back.sub(x).amaxNumber().doubleValue();
        assertTrue(maxAbs < 1e-9, "reconstruct(forward(x)) differs from x by " + maxAbs);
        assertTrue(rec.encode(x).sub(x).amaxNumber().doubleValue() > 0.1, "degenerate test: the chain is the identity");
    }

    @Test
    void aNetworkOfOrthogonalSquareLayersReconstructsExactly() {
        NetworkSpec spec = new NetworkSpec("square", Shape.image(1, 4, 4), List.of(new Flatten(), new Dense(16, 16),
                new Asinh(), new Dense(16, 16), new Asinh(), new Dense(16, 16), new Reshape(Shape.image(1, 4, 4))));
        Map<String, INDArray> params = initialParameters(spec, 5);
        for (int i : new int[]{1, 3, 5}) {
            INDArray w = params.get("square/" + i + "/W");
            assertTrue(relativeError(w.transpose().mmul(w), Nd4j.eye(16).castTo(DataType.DOUBLE)) < 1e-12,
                    "reference init: square weights are orthogonal");
            assertTrue(params.get("square/" + i + "/b").norm2Number().doubleValue() > 0.1, "biases are not zero");
        }
        INDArray x = uniformImages(6, DataType.DOUBLE, 7, 1, 4, 4);
        LocalReconstruction none = new LocalReconstruction(spec, params, DataType.DOUBLE, Squash.NONE);
        assertTrue(none.reconstruct(x).sub(x).amaxNumber().doubleValue() < 1e-9, "identity squash");
        LocalReconstruction tanh = none.withSquash(Squash.TANH);
        INDArray t = tanh.reconstruct(x);
        assertArrayEquals(new long[]{7, 1, 4, 4}, t.shape());
        assertTrue(t.sub(Transforms.tanh(x, true)).amaxNumber().doubleValue() < 1e-9, "tanh squash (reference)");
        INDArray s = none.withSquash(Squash.SIGMOID).reconstruct(x);
        assertTrue(s.sub(Transforms.sigmoid(x, true)).amaxNumber().doubleValue() < 1e-9, "sigmoid squash");
    }

    @Test
    void theReferenceReconstructionOfATrainerUsesTanhAndFollowsItsParameters() {
        LocalTraining t = LocalTraining.builder(twoStage()).seed(2).adam(new Adam(1e-2, 0.9, 0.999, 1e-8)).build();
        LocalReconstruction rec = LocalReconstruction.of(t);
        assertEquals(Squash.TANH, rec.squash());
        INDArray x = uniformImages(3, DataType.FLOAT, 4, 1, 8, 8);
        INDArray before = rec.reconstruct(x);
        assertArrayEquals(new long[]{4, 1, 8, 8}, before.shape());
        assertTrue(before.amaxNumber().doubleValue() < 1.0, "tanh output lies in (−1, 1)");
        t.run(x);
        INDArray after = rec.reconstruct(x);
        assertTrue(after.sub(before).amaxNumber().doubleValue() > 1e-6, "reconstruction should see the trained weights");
    }

    @Test
    void badArgumentsGiveClearErrors() {
        NetworkSpec spec = twoStage();
        Map<String, INDArray> params = new HashMap<>(initialParameters(spec, 1));
        LocalReconstruction rec = new LocalReconstruction(spec, params, DataType.DOUBLE, Squash.TANH);
        assertMessage(() -> rec.decode(Nd4j.zeros(DataType.DOUBLE, 2, 5)), "code", "[batch,4]", "[2, 5]");
        assertMessage(() -> rec.encode(Nd4j.zeros(DataType.DOUBLE, 2, 1, 8, 9)), "images", "[batch,1,8,8]");
        assertMessage(() -> rec.decode(null), "code");
        Map<String, INDArray> missing = new HashMap<>(params);
        missing.remove("memory/9/W");
        assertMessage(() -> new LocalReconstruction(spec, missing, DataType.DOUBLE, Squash.TANH), "memory/9/W", "[12, 6]");
        Map<String, INDArray> wrong = new HashMap<>(params);
        wrong.put("memory/11/b", Nd4j.zeros(DataType.DOUBLE, 5));
        assertMessage(() -> new LocalReconstruction(spec, wrong, DataType.DOUBLE, Squash.TANH), "memory/11/b", "[4]", "[5]");
        assertMessage(() -> new LocalReconstruction(spec, params, DataType.DOUBLE, null), "squash");
    }
}
