package featurealign.align;

import featurealign.align.AlignmentOptions.InitialProbe;
import featurealign.nn.Encoder;
import featurealign.nn.LayerSpec.*;
import featurealign.nn.NetworkSpec;
import featurealign.nn.Shape;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.File;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The kit's FA-VAE loss, r_T, x̂ and every parameter gradient equal the values PyTorch's double backprop
 * ({@code create_graph=True}) computes for the authors' formulation, on a reduced MNIST-shaped encoder. Fixtures:
 * {@code src/test/resources/golden/fa_vae} (made by {@code src/test/golden/make_golden.py}, by hand).
 */
class GoldenFaVaeTest {

    /** PyTorch parameter name → kit variable name. The trunk keeps PyTorch's module indices. */
    static final Map<String, String> NAMES = new LinkedHashMap<>();

    static {
        for (int i : new int[]{0, 2, 4, 6, 9}) {
            NAMES.put("trunk." + i + ".weight", "encoder/" + i + "/W");
            NAMES.put("trunk." + i + ".bias", "encoder/" + i + "/b");
        }
        for (String[] h : new String[][]{{"mean", "encoder_mean"}, {"logvar", "encoder_logvar"}, {"cls", "encoder_cls"}}) {
            NAMES.put(h[0] + ".weight", h[1] + "/0/W");
            NAMES.put(h[0] + ".bias", h[1] + "/0/b");
        }
    }

    static NetworkSpec reducedMnistTrunk() {
        LeakyRelu act = new LeakyRelu(0.01);
        return new NetworkSpec("encoder", Shape.image(1, 28, 28), List.of(
                new Conv2d(1, 3, 3, 1, 1), act, new Conv2d(3, 4, 3, 2, 1), act,
                new Conv2d(4, 4, 3, 1, 1), act, new Conv2d(4, 5, 3, 2, 1), act,
                new Flatten(), new Dense(245, 16), act));
    }

    static Path root() {
        try {
            return Path.of(Objects.requireNonNull(GoldenFaVaeTest.class.getResource("/golden/fa_vae/README.md"),
                    "golden fixtures missing from the test classpath").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static INDArray npy(Path p) {
        assertTrue(Files.isRegularFile(p), "missing fixture " + p);
        return Nd4j.createFromNpyFile(new File(p.toString()));
    }

    /** PyTorch layout → kit layout: conv [O,I,kH,kW] → [kH,kW,I,O]; linear [out,in] → [in,out]. */
    static INDArray toKit(INDArray torch) {
        if (torch.rank() == 4) return torch.permute(2, 3, 1, 0).dup('c');
        if (torch.rank() == 2) return torch.transpose().dup('c');
        return torch.dup();
    }

    static INDArray toTorch(INDArray kit) {
        if (kit.rank() == 4) return kit.permute(3, 2, 0, 1).dup('c');
        if (kit.rank() == 2) return kit.transpose().dup('c');
        return kit.dup();
    }

    @ParameterizedTest(name = "{0} in {1}")
    @CsvSource({"t1_zero, DOUBLE", "t2_zero, DOUBLE", "t1_random, DOUBLE", "t2_random_eta05, DOUBLE",
            "t1_zero, FLOAT", "t2_zero, FLOAT", "t1_random, FLOAT", "t2_random_eta05, FLOAT"})
    void matchesPyTorchDoubleBackprop(String caseName, DataType dataType) throws Exception {
        Path root = root(), dir = root.resolve(caseName);
        String meta = Files.readString(dir.resolve("meta.json"));
        int steps = Integer.parseInt(meta.replaceAll("(?s).*\"T\"\\s*:\\s*(\\d+).*", "$1"));
        double eta = Double.parseDouble(meta.replaceAll("(?s).*\"eta\"\\s*:\\s*([0-9.eE+-]+).*", "$1"));
        boolean zero = meta.contains("\"zero\"");

        SameDiff sd = SameDiff.create();
        Encoder enc = Encoder.declare(sd, reducedMnistTrunk(), 6, 10, dataType);
        Map<String, SDVariable> vars = new HashMap<>();
        for (SDVariable v : enc.parameters()) vars.put(v.name(), v);
        assertEquals(NAMES.size(), vars.size());
        for (var e : NAMES.entrySet()) {
            vars.get(e.getValue()).getArr().assign(toKit(npy(root.resolve("weights/" + e.getKey() + ".npy"))).castTo(dataType));
        }
        SDVariable x = sd.placeHolder("x", dataType, -1, 1, 28, 28);
        SDVariable y = sd.placeHolder("y", dataType, -1, 10);
        SDVariable eps = sd.placeHolder("eps", dataType, -1, 6);
        SDVariable beta = sd.placeHolder("beta", dataType, -1);
        SDVariable r0 = zero ? null : sd.placeHolder("r0", dataType, -1, 1, 28, 28);
        AlignmentOptions opts = AlignmentOptions.reference().withSteps(steps).withStepSize(eta)
                .withInitialProbe(zero ? InitialProbe.ZERO : InitialProbe.GIVEN, 0);
        FaVaeObjective obj = FaVaeObjective.build(enc, x, y, eps, beta, r0, opts);
        sd.setLossVariables(obj.loss().name());

        Map<String, INDArray> feed = new HashMap<>();
        for (String in : List.of("x", "y", "eps", "beta")) feed.put(in, npy(root.resolve("inputs/" + in + ".npy")).castTo(dataType));
        if (!zero) feed.put("r0", npy(dir.resolve("r0.npy")).castTo(dataType));

        double tol = dataType == DataType.DOUBLE ? 1e-8 : 1e-5;
        List<String> outs = List.of(obj.loss().name(), obj.reconstructionLoss().name(), obj.klPerSample().name(),
                obj.alignment().probe().name(), obj.alignment().image().name());
        // Through NativeMemory, as training calls it, twice: the second call runs on the session the first one cleaned.
        var memory = featurealign.runtime.NativeMemory.withDefaults();
        memory.gradientsAndOutputs(sd, feed, outs, new ArrayList<>(NAMES.values()));
        var result = memory.gradientsAndOutputs(sd, feed, outs, new ArrayList<>(NAMES.values()));
        Map<String, INDArray> o = result.getOutputs();
        check("loss", o.get(outs.get(0)), npy(dir.resolve("loss.npy")), tol);
        check("rl", o.get(outs.get(1)), npy(dir.resolve("rl.npy")), tol);
        check("kl", o.get(outs.get(2)), npy(dir.resolve("kl.npy")), tol);
        check("r", o.get(outs.get(3)), npy(dir.resolve("r.npy")), tol);
        check("xhat", o.get(outs.get(4)), npy(dir.resolve("xhat.npy")), tol);
        double worst = 0;
        for (var e : NAMES.entrySet()) {
            INDArray mine = toTorch(result.getGradients().get(e.getValue()));
            worst = Math.max(worst, check("grad " + e.getKey(), mine, npy(dir.resolve("grad/" + e.getKey() + ".npy")), tol));
        }
        System.out.printf("golden %s %s: worst gradient relative error %.2e%n", caseName, dataType, worst);
    }

    /** Norm-wise relative error ‖a − b‖ / ‖b‖ ≤ tol, with a and b flattened (shapes [1] and [] compare equal). */
    static double check(String what, INDArray actual, INDArray expected, double tol) {
        assertEquals(expected.length(), actual.length(), what + ": length");
        INDArray a = actual.castTo(DataType.DOUBLE).reshape(-1), b = expected.castTo(DataType.DOUBLE).reshape(-1);
        double rel = a.sub(b).norm2Number().doubleValue() / Math.max(b.norm2Number().doubleValue(), 1e-300);
        assertTrue(rel <= tol, what + ": relative error " + rel + " > " + tol);
        return rel;
    }
}
