package featurealign.train;

import featurealign.nn.Architecture;
import featurealign.nn.Network;
import featurealign.nn.NetworkSpec;
import featurealign.nn.Shape;
import org.junit.jupiter.api.function.Executable;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Tiny memory networks and helpers shared by the local-training tests. */
final class LocalTestNets {
    private LocalTestNets() {}

    /**
     * The MNIST memory pattern shrunk to 1×8×8: two asinh stages (conv s1, asinh, conv s2, asinh) of widths 2 and 3,
     * flatten, dense 12→6, asinh, dense 6→4. Twelve modules, parameters at 0, 2, 4, 6, 9, 11 (as MNIST's).
     */
    static NetworkSpec twoStage() {
        return new Architecture("tiny", Shape.image(1, 8, 8), new int[]{2, 3}, 6, 4, 0, 3, 2, false, 0.01).memory();
    }

    /** The CIFAR-10 memory pattern shrunk to 3×8×8: three stages, 16 modules, the last four after index 12. */
    static NetworkSpec threeStage() {
        return new Architecture("tiny", Shape.image(3, 8, 8), new int[]{2, 2, 2}, 8, 4, 0, 3, 2, true, 0.01).memory();
    }

    /** Sets a variable's array (SameDiff may not have allocated one yet). */
    static void set(SameDiff sd, SDVariable v, INDArray value) {
        if (v.getArr() == null) sd.setArrayForVariable(v.name(), value.dup());
        else v.getArr().assign(value);
    }

    /** A fresh whole-network declaration with the given parameter values (copied), for independent references. */
    static Network copyOf(SameDiff sd, NetworkSpec spec, Map<String, INDArray> parameters, DataType dataType) {
        Network net = Network.declare(sd, spec, dataType);
        for (SDVariable v : net.parameters()) set(sd, v, parameters.get(v.name()).castTo(dataType));
        return net;
    }

    /** Uniform [0,1) values from a seeded java.util.Random (ND4J's rand ignores setSeed for some dtypes/threads). */
    static INDArray uniformImages(long seed, DataType dataType, long... shape) {
        java.util.Random r = new java.util.Random(seed);
        long n = 1;
        for (long d : shape) n *= d;
        double[] v = new double[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) v[i] = r.nextDouble();
        return Nd4j.create(v, shape, 'c').castTo(dataType);
    }

    static double relativeError(INDArray a, INDArray b) {
        return a.sub(b).norm2Number().doubleValue() / Math.max(b.norm2Number().doubleValue(), 1e-300);
    }

    static void assertMessage(Executable call, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String p : parts) assertTrue(e.getMessage().contains(p), "message '" + e.getMessage() + "' lacks '" + p + "'");
    }

    /** Exactly equal shape and values (INDArray.equals allows 1e-5). */
    static boolean identical(INDArray a, INDArray b) {
        return java.util.Arrays.equals(a.shape(), b.shape()) && a.dataType() == b.dataType()
                && a.sub(b).amaxNumber().doubleValue() == 0.0;
    }
}
